// `vipwatch probe`: probe targets now with the agent's own engine and print one result record per target (stdout, the
// contract's JSON), and a readable per-target summary on stderr as fping prints it.
import { hostname } from 'node:os';
import { loadConfig } from '../../core/config.js';
import { createLogger } from '../../core/log.js';
import { METHODS, type Method, type ResultRecord } from '../../core/model.js';
import { systemClock } from '../../agent/clock.js';
import { availableMethods, closeMethods } from '../../agent/methods.js';
import { parseTarget, probeOnce, type OneShot } from '../../agent/oneshot.js';
import type { Command } from '../command.js';

/** A time as fping prints it: three significant digits or so (0.048, 1.23, 12.3, 123). */
const ms = (x: number): string => (x < 1 ? x.toFixed(3) : x < 10 ? x.toFixed(2) : x < 100 ? x.toFixed(1) : x.toFixed(0));

/** fping -c's per-target summary: `198.18.0.2 : xmt/rcv/%loss = 5/5/0%, min/avg/max = 0.038/0.048/0.058`. */
export function fpingSummary(r: ResultRecord): string {
  const loss = r.sent > 0 ? Math.round((100 * (r.sent - r.recv)) / r.sent) : 100;
  const head = `${r.vip} : xmt/rcv/%loss = ${r.sent}/${r.recv}/${loss}%`;
  return r.rttAvg === undefined ? head : `${head}, min/avg/max = ${ms(r.rttMin!)}/${ms(r.rttAvg)}/${ms(r.rttMax!)}`;
}

const intOption = (name: string, raw: unknown, dflt: number, min: number, max: number): number => {
  if (raw === undefined) return dflt;
  const n = Number(raw);
  if (!Number.isInteger(n) || n < min || n > max) throw new Error(`--${name} ${JSON.stringify(raw)}: expected a whole number from ${min} to ${max}`);
  return n;
};

export const probeCommand: Command = {
  usage: 'vipwatch probe [--method icmp|tcp|http] [--count N] [--interval-ms MS] [--timeout-ms MS] [--rtts] [--config FILE] TARGET...',
  options: {
    method: { type: 'string', short: 'm' },
    count: { type: 'string', short: 'c' },
    'interval-ms': { type: 'string', short: 'p' },
    'timeout-ms': { type: 'string', short: 't' },
    // every probe's RTT on stderr after the records, as `fping -C` prints them ("ADDR : 0.061 - 0.058"); without it
    // stderr gets fping -c's summary per target ("ADDR : xmt/rcv/%loss = 5/5/0%, min/avg/max = ...")
    rtts: { type: 'boolean' },
    config: { type: 'string' },
  },
  positionals: true,
  async run(v, args) {
    const method = (v.method ?? 'icmp') as Method;
    let targets: OneShot[];
    let count: number, intervalMs: number, timeoutMs: number;
    const cfg = loadConfig(v.config as string | undefined);
    try {
      if (!METHODS.includes(method)) throw new Error(`--method ${JSON.stringify(method)}: expected one of ${METHODS.join(', ')}`);
      if (!args.length) throw new Error('give at least one TARGET');
      count = intOption('count', v.count, 5, 1, 100_000);
      intervalMs = intOption('interval-ms', v['interval-ms'], 1000, 1, 3_600_000);
      timeoutMs = intOption('timeout-ms', v['timeout-ms'], cfg.agent.timeoutMs, 1, 60_000);
      targets = args.map((a) => parseTarget(method, a));
    } catch (e) {
      console.error(`vipwatch probe: ${(e as Error).message}\nusage: ${probeCommand.usage}`);
      return 2;
    }
    // the one problem availableMethods would log is printed below in plain words instead
    const log = createLogger('fatal', 'probe');
    const available = availableMethods(log, [method]);
    const probe = available.methods[method];
    if (!probe) {
      console.error(`vipwatch probe: ${available.unavailable[method]}`);
      return 1;
    }
    try {
      const rtts = v.rtts ? targets.map(() => new Array<number | null>(count).fill(null)) : null;
      const records = await probeOnce({
        method: probe, targets, count, intervalMs, timeoutMs, host: hostname(), minuteMs: cfg.minuteSec * 1000, clock: systemClock,
        ...(rtts ? { onProbe: (i: number, k: number, rtt: number | null) => { rtts[i]![k] = rtt; } } : {}),
      });
      for (const r of records) console.log(JSON.stringify(r));
      if (rtts) rtts.forEach((list, i) => console.error(`${targets[i]!.vip} : ${list.map((r) => (r === null ? '-' : r.toFixed(3))).join(' ')}`));
      else for (const r of records) console.error(fpingSummary(r));
    } finally {
      await closeMethods(available);
    }
    return 0;
  },
};
