// Child of test/bench/rtt.ts, run inside the bench's agent namespace: probes ADDR COUNT times, PERIOD ms apart, with the
// agent's ICMP method and prints every RTT as fping -C does ("ADDR : 0.061 - 0.058 ..."). With LOAD > 0 the same
// event loop also carries the agent's probe engine over LOAD targets at the agent's default rate and tick, probed as
// the agent probes them (agent.schedule native: the addon's schedule, with its own sockets), each minute's batch
// checked by the shared schema and serialised as the agent does before spooling; probing of ADDR starts once every
// load target has been probed at least once.
// Args: ADDR COUNT PERIOD_MS LOAD (the load targets are read from stdin, one per line, when LOAD > 0).
import { readFileSync } from 'node:fs';
import { Registry } from 'prom-client';
import { systemClock, systemTimers } from '../../agent/clock.js';
import { ProbeEngine, type MinuteBatch } from '../../agent/engine.js';
import { NativeEngine } from '../../agent/native-engine.js';
import { agentMetrics } from '../../agent/metrics.js';
import { createSocket, Protocol } from 'raw-socket';
import { EchoTemplate } from '../../agent/probes/icmp-packet.js';
import { IcmpProbe } from '../../agent/probes/icmp.js';
import { parseConfig } from '../../core/config.js';
import { createLogger } from '../../core/log.js';
import { resultsBodySchema } from '../../core/records.js';

const [addr, count, period, load] = process.argv.slice(2);
/** the agent's defaults: rate, tick, timeout, rate cap */
const defaults = parseConfig({}, 'defaults').agent;
const probe = new IcmpProbe();
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/**
 * How long the addon's sendto() of one echo request to `to` takes (median of n, spaced out): on a veth path the peer
 * answers within the call, so this is the floor of any user-space reply stamp taken after it.
 */
function sendtoMs(to: string, n: number): number {
  const s = createSocket({ protocol: Protocol.ICMP });
  const t = new EchoTemplate(4, 0xfffe, Buffer.alloc(56));
  const took: number[] = [];
  for (let k = 0; k < n; k++) {
    const p = t.withSeq(k);
    const t0 = process.hrtime.bigint();
    s.wrap.send(p, 0, p.length, to, () => {});
    took.push(Number(process.hrtime.bigint() - t0) / 1e6);
    const until = Date.now() + 5;
    while (Date.now() < until); // spaced out, without a timer turn (the replies are not read)
  }
  s.close();
  return took.sort((a, b) => a - b)[n >> 1]!;
}
let engine: ProbeEngine | null = null;
let minutes = 0;
if (Number(load) > 0) {
  const targets = readFileSync(0, 'utf8').trim().split('\n').map((vip) => ({ vip, method: 'icmp' as const }));
  const log = createLogger('warn', 'bench');
  const metrics = agentMetrics(new Registry());
  const timing = { minuteMs: 60_000, timeoutMs: defaults.timeoutMs, maxProbesPerSec: defaults.maxProbesPerSec, tickMs: defaults.tickMs };
  const onMinute = (b: MinuteBatch) => { minutes++; JSON.stringify(resultsBodySchema.parse({ host: b.host, results: b.records })); };
  const offload = NativeEngine.open({ log, metrics, onMinute, ...timing });
  if (!offload) throw new Error('the addon is not built (npm run build): the agent would probe in JavaScript');
  engine = new ProbeEngine({ methods: { icmp: probe }, clock: systemClock, timers: systemTimers, log, metrics, onMinute, offload, ...timing });
  engine.setTargets('bench-host', targets, defaults.probesPerMinute);
  engine.start();
  await sleep(60_000 / defaults.probesPerMinute + 500);
}
console.error('measuring');
const out: Promise<number | null>[] = [];
const t0 = performance.now();
for (let k = 0; k < Number(count); k++) {
  out.push(probe.probe({ address: addr! }, 500));
  const wait = t0 + (k + 1) * Number(period) - performance.now();
  if (wait > 0) await sleep(wait);
}
const rtts = await Promise.all(out);
await engine?.stop();
await probe.close();
console.log(`${addr} : ${rtts.map((r) => (r === null ? '-' : r.toFixed(3))).join(' ')}`);
console.error(`sendto() alone: median ${sendtoMs(addr!, 100).toFixed(3)} ms`);
if (engine) console.error(`load: ${engine.targetCount} targets, ${minutes} minute batches`);
