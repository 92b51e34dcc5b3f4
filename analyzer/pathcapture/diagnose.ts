// The path diagnosis as a pure function of the traceroutes (no clock, no I/O): the last hop the affected (inside)
// paths share before they stop answering, or, when they reach the VIP, the hop after which their RTT jumps; then how
// the comparison (outside) paths fared. E.g. "paths from ct stop after 202.97.12.1 (hop 5); paths from cm reach the VIP".
import type { Diagnosis, PathTrace } from '../../core/diagnosis.js';
import type { TraceHop } from '../../core/jobs.js';

export type HopNamer = (ip: string) => string | undefined;

export interface DiagnoseOptions {
  /** share of the affected paths that must agree on the hop */
  agreeShare: number;
  /** an RTT step counts as "turning slow" when at least this many ms and this share of the RTT before it */
  slowMinMs: number;
  slowRatio: number;
}

export const DEFAULT_DIAGNOSE: DiagnoseOptions = { agreeShare: 0.6, slowMinMs: 20, slowRatio: 0.5 };

interface HopRef { ip: string; ttl: number }

const uniq = (xs: string[]): string[] => [...new Set(xs)].sort();
const median = (xs: number[]): number => {
  const s = [...xs].sort((a, b) => a - b);
  return s.length ? s[Math.floor((s.length - 1) / 2)]! : NaN;
};
const fastest = (h: TraceHop): number | null => (h.rtt.length ? Math.min(...h.rtt) : null);

/** The last router (not the target) that answered. */
function lastAnswer(t: PathTrace): HopRef | null {
  for (let i = t.hops.length - 1; i >= 0; i--) {
    const h = t.hops[i]!;
    if (h.ip !== null && h.ip !== t.target) return { ip: h.ip, ttl: h.ttl };
  }
  return null;
}

/** The hop after which the RTT jumps most, when the jump is big enough to call the path slow. */
function slowAfter(t: PathTrace, o: DiagnoseOptions): (HopRef & { stepMs: number }) | null {
  let prev: { ref: HopRef; ms: number } | null = null;
  let best: (HopRef & { stepMs: number }) | null = null;
  for (const h of t.hops) {
    const ms = fastest(h);
    if (ms === null || h.ip === null) continue;
    if (prev) {
      const step = ms - prev.ms;
      if (step >= o.slowMinMs && step >= o.slowRatio * prev.ms && (!best || step > best.stepMs)) best = { ...prev.ref, stepMs: step };
    }
    prev = { ref: { ip: h.ip, ttl: h.ttl }, ms };
  }
  return best;
}

/** The hop most of `refs` name, when at least `share` of `of` paths do. */
function agreed(refs: Array<HopRef | null>, of: number, share: number): HopRef | null {
  const votes = new Map<string, number[]>();
  for (const r of refs) if (r) votes.set(r.ip, [...(votes.get(r.ip) ?? []), r.ttl]);
  const top = [...votes.entries()].sort((a, b) => b[1].length - a[1].length || (a[0] < b[0] ? -1 : 1))[0];
  if (!top || top[1].length < share * of) return null;
  return { ip: top[0], ttl: median(top[1]) };
}

function comparison(outside: PathTrace[]): string | null {
  if (!outside.length) return null;
  const from = `paths from ${uniq(outside.map((t) => t.isp)).join(', ')}`;
  const reached = outside.filter((t) => t.reached);
  if (reached.length === outside.length) {
    const ms = median(reached.map((t) => fastest(t.hops[t.hops.length - 1]!) ?? NaN).filter(Number.isFinite));
    return `${from} reach the VIP${Number.isFinite(ms) ? ` (${ms < 10 ? ms.toFixed(1) : Math.round(ms)} ms)` : ''}`;
  }
  if (!reached.length) return `${from} do not reach it either`;
  return `${reached.length} of ${outside.length} ${from} reach the VIP`;
}

export interface DiagnoseInput { paths: PathTrace[]; jobs: string[]; at: string; tracesAt: string }

export function diagnose({ paths, jobs, at, tracesAt }: DiagnoseInput, name: HopNamer = () => undefined, o: DiagnoseOptions = DEFAULT_DIAGNOSE): Diagnosis {
  const inside = paths.filter((p) => p.side === 'inside');
  const outside = paths.filter((p) => p.side === 'outside');
  const label = (h: HopRef) => `${name(h.ip) ? `${name(h.ip)} ` : ''}${h.ip} (hop ${h.ttl})`;
  const hopOf = (h: HopRef | null) => (h ? { ip: h.ip, ttl: h.ttl, ...(name(h.ip) ? { name: name(h.ip)! } : {}) } : null);
  const from = `paths from ${uniq(inside.map((t) => t.isp)).join(', ') || 'the fault scope'}`;
  const other = comparison(outside);
  const done = (kind: Diagnosis['kind'], hop: HopRef | null, first: string): Diagnosis =>
    ({ at, tracesAt, kind, hop: hopOf(hop), text: [first, other].filter(Boolean).join('; '), jobs, paths });
  if (!inside.length) return done('none', null, 'no traceroute came back from inside the fault scope');
  const stopped = inside.filter((t) => !t.reached);
  if (stopped.length * 2 >= inside.length) {
    const hop = agreed(stopped.map(lastAnswer), stopped.length, o.agreeShare);
    if (hop) return done('stop', hop, `${from} stop after ${label(hop)}`);
    const seen = uniq(stopped.map((t) => lastAnswer(t)?.ip ?? 'no hop'));
    return done('none', null, `${from} stop, but not after one common hop (${seen.slice(0, 4).join(', ')}${seen.length > 4 ? ', ...' : ''})`);
  }
  const reached = inside.filter((t) => t.reached);
  const jumps = reached.map((t) => slowAfter(t, o));
  const hop = agreed(jumps, reached.length, o.agreeShare);
  if (hop) {
    const step = median(jumps.filter((j) => j?.ip === hop.ip).map((j) => j!.stepMs));
    return done('slow', hop, `${from} turn slow after ${label(hop)}: +${Math.round(step)} ms`);
  }
  return done('none', null, `${from} reach the VIP with no common hop where they stop or turn slow`);
}
