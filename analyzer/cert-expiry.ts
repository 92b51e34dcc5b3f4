// Certificate-expiry warnings. An https VIP whose http checks report fewer than analyzer.certWarnDays days left on its
// certificate (the records' certDaysLeft, the fewest of the minute) gets an informational VIP episode with signal
// "cert" (id `vip:IP:cert`), routed like a VIP fault to the owners of its business and, being informational, held
// for the daily digest; it closes at the first minute whose checks see a certificate with enough days (renewed).
// A minute without checks of the VIP changes nothing. Whitelisted VIPs are recorded, not alerted, as faults are.
//
// Why an episode and not a bare outbox message: the alert policy already gives an episode one message per audience,
// reminders, a recovery and restart safety, and the fault pages list it. Why not a fault rule: the contract's
// `vipwatch analyze` prints the loss and latency faults only, so this runs in the live analyzer beside the engine
// (analyzer/live.ts), not inside it, and a replay never prints it.
//
// certStep is pure; CertWatch keeps its open episodes between minutes, adopting a minute's result only once the
// minute is committed, and picks the open ones up from the fault store after a restart.
import { isCertWarning } from '../core/episode.js';
import type { FaultEpisode, FaultTransition, ResultRecord, Vip, WhitelistEntry } from '../core/model.js';
import type { FaultStore } from '../core/store/faults.js';
import { activeEntries } from './engine/suppression.js';

const isoTime = (ms: number): string => new Date(ms).toISOString().replace('.000Z', 'Z');

export const certEpisodeId = (ip: string): string => `vip:${ip}:cert`;

function covered(v: Vip, entries: readonly WhitelistEntry[]): boolean {
  return entries.some((e) => e.vip === v.ip || e.dc === v.dc || e.business === v.business);
}

/**
 * One minute: the records of that minute in, the warnings that open, close or change (suppressed) out.
 * `open` maps VIP ip to its open warning; it is not changed (a new map is returned).
 */
export function certStep(
  open: ReadonlyMap<string, FaultEpisode>, minute: number, records: readonly ResultRecord[], vips: ReadonlyMap<string, Vip>,
  warnDays: number, whitelist: readonly WhitelistEntry[],
): { open: Map<string, FaultEpisode>; transitions: FaultTransition[] } {
  const fewest = new Map<string, number>();
  for (const r of records) {
    if (r.certDaysLeft === undefined || !vips.has(r.vip)) continue;
    const d = fewest.get(r.vip);
    if (d === undefined || r.certDaysLeft < d) fewest.set(r.vip, r.certDaysLeft);
  }
  const entries = activeEntries(whitelist, minute);
  const next = new Map(open);
  const transitions: FaultTransition[] = [];
  const at = isoTime(minute);
  for (const [ip, days] of [...fewest].sort(([a], [b]) => (a < b ? -1 : 1))) {
    const v = vips.get(ip)!;
    const was = open.get(ip);
    const suppressed = covered(v, entries);
    if (days < warnDays) {
      if (!was) {
        const episode: FaultEpisode = {
          id: certEpisodeId(ip), type: 'vip', key: ip, start: at, detectedAt: at, end: null, isps: [], provinces: [],
          dcs: [v.dc], vips: [ip], businesses: [v.business], parent: null, suppressed, signal: 'cert',
        };
        next.set(ip, episode);
        transitions.push({ kind: 'open', minute, episode, certDaysLeft: days });
      } else if (was.suppressed !== suppressed) {
        const episode = { ...was, suppressed };
        next.set(ip, episode);
        transitions.push({ kind: 'update', minute, episode, certDaysLeft: days });
      }
    } else if (was) {
      next.delete(ip);
      transitions.push({ kind: 'close', minute, episode: { ...was, end: at }, certDaysLeft: days });
    }
  }
  return { open: next, transitions };
}

export interface CertWatchDeps {
  vips: () => ReadonlyMap<string, Vip>;
  warnDays: number;
  faults: FaultStore;
}

/** certStep's state across minutes, for the live analyzer. */
export class CertWatch {
  #open: Map<string, FaultEpisode> | null = null;

  constructor(private readonly d: CertWatchDeps) {}

  /** The warnings of one minute; call adopt() with the result once the minute is committed. */
  async step(minute: number, records: readonly ResultRecord[], whitelist: readonly WhitelistEntry[]): Promise<ReturnType<typeof certStep>> {
    this.#open ??= await this.#load();
    return certStep(this.#open, minute, records, this.d.vips(), this.d.warnDays, whitelist);
  }

  adopt(result: ReturnType<typeof certStep>): void {
    this.#open = result.open;
  }

  /** Forget the in-memory state (a minute failed): the next step reads the open warnings from the fault store. */
  reset(): void {
    this.#open = null;
  }

  async #load(): Promise<Map<string, FaultEpisode>> {
    const open = await this.d.faults.list({ status: 'open' });
    return new Map(open.filter(isCertWarning).map((e) => {
      const { uid: _uid, history: _h, updatedAt: _u, ...episode } = e;
      return [e.key, episode as FaultEpisode];
    }));
  }
}
