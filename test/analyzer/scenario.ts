// A small scenario builder for the fault rules: a fleet (provinces x isps of source hosts, VIP DCs), a timeline of
// loss overlays, and the records it yields, written as a replay file and run through replay (in-process or the CLI).
import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { buildCatalog } from '../../core/catalog.js';
import { rulesSchema, type Rules } from '../../core/config.js';
import { PROVINCES } from '../../core/geo.js';
import type { Datacenter, FaultEpisode, FaultTransition, Host, Inventory, ResultRecord, Vip, WhitelistEntry } from '../../core/model.js';
import { replayFile } from '../../analyzer/replay.js';

export const T0 = Date.parse('2026-11-23T14:00:00Z');
/** ISO minute of minute index i of a scenario */
export const at = (i: number): string => new Date(T0 + i * 60_000).toISOString().replace('.000Z', 'Z');

export interface FleetOptions {
  provinces?: number;
  isps?: string[];
  hostsPerGroup?: number;
  /** VIP DCs: id, where it is, how many VIPs, and their businesses (round robin) */
  vipDcs?: Array<{ id: string; province: string; isp: string; vips: number }>;
  businesses?: string[];
  /** how many hosts of a group probe each VIP (default 1) */
  redundancy?: number;
  /** a record's rttAvg without delays (default 32 ms) */
  rtt?: (host: { id: string; province: string; isp: string }, vip: Vip, minute: number) => number;
}

/** Which records an overlay touches; every listed field must match. */
export interface Match {
  vips?: string[];
  vipDcs?: string[];
  hosts?: string[];
  provinces?: string[];
  isps?: string[];
}

interface Overlay { match: Match; minutes: Set<number>; loss: number }
interface Delay { match: Match; minutes: Set<number>; ms: number }

export const range = (from: number, to: number): number[] => Array.from({ length: to - from + 1 }, (_, i) => from + i);

export class Scenario {
  readonly inventory: Inventory;
  /** group "province/isp" -> its hosts, in order */
  readonly groups = new Map<string, Array<Host & { province: string; isp: string }>>();
  private readonly overlays: Overlay[] = [];
  private readonly silences: Array<{ match: Match; minutes: Set<number> }> = [];
  private readonly delays: Delay[] = [];
  private readonly redundancy: number;
  private readonly rtt: NonNullable<FleetOptions['rtt']>;

  constructor(readonly minutes: number, o: FleetOptions = {}) {
    const provinces = PROVINCES.slice(0, o.provinces ?? 10).map((p) => p.id);
    const isps = o.isps ?? ['ct', 'cu', 'cm'];
    const hostsPerGroup = o.hostsPerGroup ?? 2;
    const businesses = o.businesses ?? ['search', 'video'];
    this.redundancy = o.redundancy ?? 1;
    this.rtt = o.rtt ?? (() => 32);
    const vipDcs = o.vipDcs ?? [{ id: 'idc-a', province: 'beijing', isp: 'ct', vips: 6 }, { id: 'idc-b', province: 'shanghai', isp: 'cu', vips: 6 }];
    const datacenters: Datacenter[] = [];
    const hosts: Host[] = [];
    let n = 0;
    for (const p of provinces) {
      for (const i of isps) {
        const list: Array<Host & { province: string; isp: string }> = [];
        for (let k = 1; k <= hostsPerGroup; k++) {
          // one DC per host, so the plan rule "no two hosts of one DC" is not in the way
          const dc = `cdn-${p}-${i}-${k}`;
          datacenters.push({ id: dc, province: p, isp: i });
          const h = { id: `h-${p}-${i}-${k}`, ip: `198.18.${n >> 8}.${n & 255}`, dc, probe: true };
          n++;
          hosts.push(h);
          list.push({ ...h, province: p, isp: i });
        }
        this.groups.set(`${p}/${i}`, list);
      }
    }
    const vips: Vip[] = [];
    let a = 0;
    for (const d of vipDcs) {
      datacenters.push({ id: d.id, province: d.province, isp: d.isp });
      for (let k = 0; k < d.vips; k++, a++) vips.push({ ip: `198.19.${a >> 8}.${a & 255}`, dc: d.id, business: businesses[a % businesses.length]! });
    }
    this.inventory = { datacenters, hosts, vips, businesses: businesses.map((name) => ({ name, owners: [`oncall-${name}@example.com`] })), isps: [] };
  }

  vipsOf(dc: string): string[] {
    return this.inventory.vips.filter((v) => v.dc === dc).map((v) => v.ip);
  }

  /** Records matching `match` in the given minutes get `loss`% (the worst overlay wins). */
  loss(match: Match, minutes: number[], loss = 100): this {
    this.overlays.push({ match, minutes: new Set(minutes), loss });
    return this;
  }

  /** Records matching `match` in the given minutes take `ms` longer (delays add up). */
  delay(match: Match, minutes: number[], ms: number): this {
    this.delays.push({ match, minutes: new Set(minutes), ms });
    return this;
  }

  /** Hosts matching `match` send no records in the given minutes. */
  silent(match: Match, minutes: number[]): this {
    this.silences.push({ match, minutes: new Set(minutes) });
    return this;
  }

  private static matches(m: Match, host: { id: string; province: string; isp: string }, vip: Vip): boolean {
    return (!m.vips || m.vips.includes(vip.ip)) && (!m.vipDcs || m.vipDcs.includes(vip.dc)) && (!m.hosts || m.hosts.includes(host.id))
      && (!m.provinces || m.provinces.includes(host.province)) && (!m.isps || m.isps.includes(host.isp));
  }

  /** Every VIP is probed by `redundancy` hosts per group (default one), spread over the group's hosts. */
  records(): ResultRecord[] {
    const out: ResultRecord[] = [];
    for (let t = 0; t < this.minutes; t++) {
      for (const hosts of this.groups.values()) {
        this.inventory.vips.forEach((vip, vi) => {
          for (let k = 0; k < this.redundancy; k++) {
            const host = hosts[(vi + k) % hosts.length]!;
            if (this.silences.some((s) => s.minutes.has(t) && Scenario.matches(s.match, host, vip))) continue;
            let loss = 0;
            for (const o of this.overlays) if (o.minutes.has(t) && Scenario.matches(o.match, host, vip)) loss = Math.max(loss, o.loss);
            let rtt = this.rtt(host, vip, t);
            for (const d of this.delays) if (d.minutes.has(t) && Scenario.matches(d.match, host, vip)) rtt += d.ms;
            const sent = 20;
            const recv = Math.round(sent * (1 - loss / 100));
            const r: ResultRecord = { ts: at(t), host: host.id, vip: vip.ip, method: 'icmp', sent, recv };
            if (recv > 0) Object.assign(r, { rttMin: rtt - 2, rttAvg: rtt, rttMax: rtt + 8 });
            out.push(r);
          }
        });
      }
    }
    return out;
  }
}

/** Every record also comes by http: 2 x the icmp RTT + 4 ms, and none of it gets through in a lossy minute. */
export class WithHttp extends Scenario {
  override records(): ResultRecord[] {
    return super.records().flatMap((r) => {
      const lost = r.recv < r.sent;
      const http: ResultRecord = { ts: r.ts, host: r.host, vip: r.vip, method: 'http', sent: r.sent, recv: lost ? 0 : r.recv };
      if (!lost) Object.assign(http, { rttMin: 2 * r.rttMin! + 4, rttAvg: 2 * r.rttAvg! + 4, rttMax: 2 * r.rttMax! + 4 });
      return [r, http];
    });
  }
}

export interface RunResult {
  episodes: FaultEpisode[];
  transitions: FaultTransition[];
}

export const rules = (over: Partial<Rules> = {}): Rules => rulesSchema.parse(over);

/** Writes the scenario's files to a temp dir and replays them in-process (the CLI's code path). */
export async function run(s: Scenario, o: { whitelist?: WhitelistEntry[]; shuffle?: boolean; rules?: Partial<Rules> } = {}): Promise<RunResult> {
  const dir = mkdtempSync(join(tmpdir(), 'vipwatch-scenario-'));
  try {
    const file = join(dir, 'results.jsonl');
    writeJsonl(file, s.records(), o.shuffle);
    const transitions: FaultTransition[] = [];
    const r = await replayFile(file, {
      catalog: buildCatalog(s.inventory), rules: rules(o.rules), minuteMs: 60_000, whitelist: o.whitelist ?? [],
      onMinute: (m) => { transitions.push(...m.transitions); },
    });
    return { episodes: r.episodes, transitions };
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

export function writeJsonl(file: string, records: ResultRecord[], shuffle = false): void {
  const list = [...records];
  if (shuffle) {
    let seed = 12345;
    for (let i = list.length - 1; i > 0; i--) {
      seed = (seed * 1103515245 + 12345) & 0x7fffffff;
      const j = seed % (i + 1);
      [list[i], list[j]] = [list[j]!, list[i]!];
    }
  }
  writeFileSync(file, list.map((r) => JSON.stringify(r)).join('\n') + '\n');
}

const root = new URL('../..', import.meta.url).pathname;

/** Runs the real CLI: `node bin/vipwatch.js analyze ...`; returns exit code, stdout lines parsed, stderr. */
export function runCli(s: Scenario, o: { whitelist?: WhitelistEntry[]; rawResults?: string; config?: Record<string, unknown> } = {}): { code: number; episodes: FaultEpisode[]; stderr: string } {
  const dir = mkdtempSync(join(tmpdir(), 'vipwatch-cli-'));
  try {
    const inv = join(dir, 'inventory.json');
    const { isps: _isps, ...shape } = s.inventory;
    writeFileSync(inv, JSON.stringify(shape));
    const results = join(dir, 'results.jsonl');
    if (o.rawResults !== undefined) writeFileSync(results, o.rawResults); else writeJsonl(results, s.records());
    const args = ['bin/vipwatch.js', 'analyze', '--inventory', inv, '--results', results];
    if (o.whitelist) {
      const wl = join(dir, 'whitelist.json');
      writeFileSync(wl, JSON.stringify({ entries: o.whitelist }));
      args.push('--whitelist', wl);
    }
    if (o.config) {
      const cf = join(dir, 'config.json');
      writeFileSync(cf, JSON.stringify(o.config));
      args.push('--config', cf);
    }
    const r = spawnSync(process.execPath, args, { cwd: root, encoding: 'utf8', env: { ...process.env, VIPWATCH_CONFIG: '' } });
    const lines = r.stdout.split('\n').filter(Boolean);
    return { code: r.status ?? -1, episodes: r.status === 0 ? lines.map((l) => JSON.parse(l) as FaultEpisode) : [], stderr: r.stderr.replaceAll(dir, '<dir>') };
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}
