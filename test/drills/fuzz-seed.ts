// Content for the fuzzed app, so its pages render real data: fault episodes (a closed DC fault with its VIP faults,
// an open VIP fault, an open region fault) written to its fault store before it starts, and a few minutes of results
// from every host posted through its own API.
import type { Config } from '../../core/config.js';
import { createLogger } from '../../core/log.js';
import type { FaultEpisode, Inventory } from '../../core/model.js';
import { createFaultStore } from '../../core/store/fault-backends.js';
import type { EpisodeWrite } from '../../core/store/faults.js';
import { isoTime } from '../../analyzer/engine/episodes.js';

export async function seedFaults(cfg: Config, inventory: Inventory, now: number): Promise<number> {
  const m = cfg.minuteSec * 1000;
  const at = (minutesAgo: number) => isoTime(Math.floor(now / m) * m - minutesAgo * m);
  const dc = inventory.vips[0]!.dc;
  const dcVips = inventory.vips.filter((v) => v.dc === dc);
  const other = inventory.vips.find((v) => v.dc !== dc)!;
  const businessesOf = (vs: typeof dcVips) => [...new Set(vs.map((v) => v.business))].sort();
  const base = { isps: ['ct', 'cu'], provinces: ['beijing', 'guangdong', 'shanghai'], suppressed: false };
  const episode = (e: Partial<FaultEpisode> & Pick<FaultEpisode, 'type' | 'key'>): FaultEpisode => ({
    id: `${e.type}:${e.key}`, start: at(30), detectedAt: at(28), end: at(20), dcs: [], vips: [], businesses: [], parent: null, ...base, ...e,
  });
  const closed = (ep: FaultEpisode): EpisodeWrite => ({ episode: ep, events: [{ at: ep.detectedAt, kind: 'open' }, { at: ep.end!, kind: 'close' }] });
  const open = (ep: FaultEpisode): EpisodeWrite => ({ episode: ep, events: [{ at: ep.detectedAt, kind: 'open' }] });
  const writes: EpisodeWrite[] = [
    closed(episode({ type: 'dc', key: dc, dcs: [dc], vips: dcVips.map((v) => v.ip), businesses: businessesOf(dcVips) })),
    ...dcVips.map((v) => closed(episode({ type: 'vip', key: v.ip, dcs: [dc], vips: [v.ip], businesses: [v.business], parent: `dc:${dc}` }))),
    open(episode({ type: 'vip', key: other.ip, start: at(6), detectedAt: at(4), end: null, dcs: [other.dc], vips: [other.ip], businesses: [other.business] })),
    open(episode({ type: 'region', key: 'henan/cm', start: at(8), detectedAt: at(6), end: null, isps: ['cm'], provinces: ['henan'] })),
  ];
  const store = createFaultStore(cfg, createLogger('silent'));
  await store.init();
  try {
    await store.upsert(writes);
  } finally {
    await store.close();
  }
  return writes.length;
}

export interface SeededHost { host: string; token: string; vips: string[]; version: string }

/** Pulls every host's task list and posts `minutes` past minutes of its results (a little loss here and there). */
export async function seedSeries(base: string, hosts: Array<{ host: string; token: string }>, minuteMs: number, minutes: number): Promise<SeededHost[]> {
  const now = Math.floor(Date.now() / minuteMs) * minuteMs;
  const out: SeededHost[] = [];
  let next = 0;
  const worker = async () => {
    while (next < hosts.length) {
      const { host, token } = hosts[next++]!;
      const headers = { authorization: `Bearer ${token}`, 'content-type': 'application/json' };
      const res = await fetch(`${base}/api/v1/tasks`, { headers });
      if (res.status !== 200) throw new Error(`seed: tasks for ${host}: HTTP ${res.status}`);
      const list = await res.json() as { version: string; targets: Array<{ vip: string; method: string }> };
      const results = list.targets.flatMap((t, i) => Array.from({ length: minutes }, (_, k) => {
        const recv = (i + k) % 7 === 0 ? 9 : 10;
        return { ts: isoTime(now - (k + 1) * minuteMs), host, vip: t.vip, method: t.method, sent: 10, recv, rttMin: 5 + i, rttAvg: 6 + i, rttMax: 9 + i };
      }));
      if (results.length) {
        const post = await fetch(`${base}/api/v1/results`, { method: 'POST', headers, body: JSON.stringify({ host, results }) });
        if (post.status !== 200) throw new Error(`seed: results for ${host}: HTTP ${post.status} ${await post.text()}`);
      }
      out.push({ host, token, vips: [...new Set(list.targets.map((t) => t.vip))], version: list.version });
    }
  };
  await Promise.all(Array.from({ length: 8 }, worker));
  return out;
}
