// `vipwatch probe`: the agent's probe methods and per-minute tally, run once over targets given on the command line.
// Each target gets a probe every intervalMs whether or not earlier replies came back (as `fping -p` does); targets
// run concurrently, their start times spread over one interval; all of a target's probes count in the minute of its first.
import { ipFamily } from '../core/ip.js';
import type { Method, ResultRecord } from '../core/model.js';
import { periodOf, type Clock } from './clock.js';
import { rttOf, type ProbeMethod, type ProbeTarget } from './probes/method.js';
import { Tally } from './tally.js';

export interface OneShot { vip: string; probe: ProbeTarget }

/**
 * Reads a command-line TARGET for a method: an IPv4 or IPv6 address (icmp), address:port (tcp; IPv6 as [addr]:port),
 * an http(s) URL (http).
 */
export function parseTarget(method: Method, arg: string): OneShot {
  const bad = (want: string) => new Error(`TARGET ${JSON.stringify(arg)}: expected ${want} for --method ${method}`);
  if (method === 'icmp') {
    if (!ipFamily(arg)) throw bad('an IPv4 or IPv6 address');
    return { vip: arg, probe: { address: arg } };
  }
  if (method === 'tcp') {
    const m = /^(\[[^\]]+\]|[^:]+):(\d{1,5})$/.exec(arg);
    const port = m ? Number(m[2]) : NaN;
    const address = m ? m[1]!.replace(/^\[|\]$/g, '') : '';
    // an IPv6 address goes in brackets, so its colons are not read as the port's
    if (!m || port < 1 || port > 65535 || (ipFamily(address) === 6) !== m[1]!.startsWith('[')) throw bad('address:port or [IPv6 address]:port (port 1-65535)');
    return { vip: arg, probe: { address, port } };
  }
  let url: URL;
  try { url = new URL(arg); } catch { throw bad('an http:// or https:// URL'); }
  if (url.protocol !== 'http:' && url.protocol !== 'https:') throw bad('an http:// or https:// URL');
  return { vip: arg, probe: { address: url.hostname.replace(/^\[|\]$/g, ''), url: arg } };
}

export interface OneShotOptions {
  method: ProbeMethod;
  targets: OneShot[];
  count: number;
  intervalMs: number;
  timeoutMs: number;
  host: string;
  minuteMs: number;
  clock: Clock;
  /** every probe's outcome as it settles: target index, probe number, RTT in ms or null (vipwatch probe --rtts) */
  onProbe?: (target: number, k: number, rtt: number | null) => void;
}

export async function probeOnce(o: OneShotOptions): Promise<ResultRecord[]> {
  const tally = new Tally();
  const t0 = o.clock.now();
  const minute = periodOf(t0, o.minuteMs);
  const n = o.targets.length;
  const probes: Promise<void>[] = [];
  await Promise.all(o.targets.map(async (t, i) => {
    const start = t0 + (o.intervalMs * i) / n;
    for (let k = 0; k < o.count; k++) {
      const wait = start + k * o.intervalMs - o.clock.now();
      if (wait > 0) await new Promise((r) => setTimeout(r, wait));
      const done = tally.sent(minute, t.vip, o.method.name);
      const kk = k;
      probes.push(o.method.probe(t.probe, o.timeoutMs).catch(() => null).then((reply) => {
        done(reply);
        o.onProbe?.(i, kk, rttOf(reply));
      }));
    }
  }));
  await Promise.all(probes);
  return tally.takeComplete(Infinity, o.minuteMs, o.host, true).flatMap((m) => m.records);
}
