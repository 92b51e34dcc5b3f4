// `npm run bench:analyze:latency`: the analyzer with latency faults on against loss only, on the same generated fleet
// as bench:analyze (10,000 VIPs x 93 groups, 930,000 records a minute, 10 minutes, JSON parsing included), each
// mode in its own child process. The latency run starts from a full day's baseline in every cell (1,440 minutes
// filled into the per-cell summaries before the replay), so its median lookups and slot expiry are the real ones.
// The file has a loss outage (one DC down from every isp) and a latency one (another DC +60 ms from ct and cu).
// Prints on its LAST line both throughputs, both worst minutes, the ratios and the latency run's resident memory.
import { spawnSync } from 'node:child_process';
import { closeSync, mkdtempSync, openSync, rmSync, statSync, writeSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { buildCatalog } from '../../core/catalog.js';
import { rulesSchema } from '../../core/config.js';
import { demoInventory } from '../../core/demo.js';
import { Baselines } from '../../analyzer/engine/baseline.js';
import { Engine } from '../../analyzer/engine/engine.js';
import { buildTopology } from '../../analyzer/engine/topology.js';
import { replayMinutes } from '../../analyzer/replay.js';
import { loadResults } from '../../analyzer/results-file.js';

const MINUTES = Number(process.env.BENCH_MINUTES ?? 10);
const T0 = Date.parse('2026-11-23T14:00:00Z');
const inventory = demoInventory({ dcsPerGroup: 2, hostsPerDc: 2, vipDcs: 10, vipsPerDc: 1000 });
const catalog = buildCatalog(inventory);
const groups = [...catalog.groups.values()];
const vips = inventory.vips;
// cells are numbered as the engine numbers them (VIPs and groups sorted), so the day filled in matches the file
const topo = buildTopology(catalog);
const groupIdx = new Map(topo.groups.map((g, i) => [g.key, i]));

/** A cell's usual latency (ms): 20-80 by VIP and group, +/-0.5 ms by minute. */
const usual = (v: number, g: number, m: number): number => 20 + ((v * 13 + g * 7) % 60) + ((v + g + m) % 3) * 0.5 - 0.5;

function generate(file: string): number {
  const fd = openSync(file, 'w');
  let lines = 0;
  for (let m = 0; m < MINUTES; m++) {
    const ts = new Date(T0 + m * 60_000).toISOString().replace('.000Z', 'Z');
    groups.forEach((hosts) => {
      const d = catalog.dcs.get(hosts[0]!.dc)!;
      const isp = d.isp;
      const g = groupIdx.get(`${d.province}/${d.isp}`)!;
      const parts: string[] = [];
      for (let v = 0; v < vips.length; v++) {
        const host = hosts[v % hosts.length]!;
        const dc = vips[v]!.dc;
        const down = m >= 3 && dc === 'idc-beijing-ct';
        const slow = m >= 3 && dc === 'idc-shanghai-cu' && isp !== 'cm' ? 60 : 0;
        const recv = down ? 0 : (v * 7 + m) % 97 === 0 ? 12 : 20;
        const rtt = usual(topo.vipIndex.get(vips[v]!.ip)!, g, m) + slow;
        parts.push(recv === 0
          ? `{"ts":"${ts}","host":"${host.id}","vip":"${vips[v]!.ip}","method":"icmp","sent":20,"recv":0}`
          : `{"ts":"${ts}","host":"${host.id}","vip":"${vips[v]!.ip}","method":"icmp","sent":20,"recv":${recv},"rttMin":${(rtt - 2).toFixed(1)},"rttAvg":${rtt.toFixed(1)},"rttMax":${(rtt + 6).toFixed(1)}}`);
      }
      writeSync(fd, parts.join('\n') + '\n');
      lines += parts.length;
    });
  }
  closeSync(fd);
  return lines;
}

interface ModeResult {
  mode: string; records: number; cpuS: number; wallS: number; worstCpuMs: number; worstMs: number; episodes: number; latencyEpisodes: number; fillS: number;
  rssMB: number; maxRssMB: number; checkpointMs: number; checkpointMB: number;
}

async function runMode(file: string, mode: 'loss' | 'latency'): Promise<ModeResult> {
  const rules = rulesSchema.parse({ latencyFaults: mode === 'latency' });
  const engine = new Engine(catalog, { rules, minuteMs: 60_000 });
  const state = engine.initialState();
  let fillS = 0;
  if (mode === 'latency') {
    // a full day in every cell's baseline: the minutes before the file, as they would have entered live
    const f0 = performance.now();
    const b = state.baselines;
    const ng = engine.topo.groups.length;
    const first = T0 / 60_000 - rules.baselineMinutes - rules.smoothWindow;
    // cell by cell (each cell's summary stays in cache): the same as rotate(t) then add for every cell, minute by minute
    for (let c = 0; c < b.cells; c++) {
      const v = Math.floor(c / ng);
      const g = c % ng;
      for (let t = first; t < first + rules.baselineMinutes; t++) {
        if (b.rotatesAt(c, t)) b.expire(c, t);
        b.add(c, usual(v, g, t), t);
      }
    }
    fillS = (performance.now() - f0) / 1000;
  }
  const t1 = performance.now();
  const c1 = process.cpuUsage();
  const loaded = await loadResults(file, engine.topo, 60_000);
  let worst = { ms: 0, cpuMs: 0 };
  const ids = new Set<string>();
  let records = 0;
  for (const o of replayMinutes(engine, loaded, [], state)) {
    records += o.records;
    for (const t of o.transitions) ids.add(t.episode.id);
    if (o.evalCpuMs > worst.cpuMs) worst = { ms: o.evalMs, cpuMs: o.evalCpuMs };
  }
  const wallS = (performance.now() - t1) / 1000;
  const cpu = process.cpuUsage(c1);
  const rssMB = process.memoryUsage().rss / 1e6;
  // what the live analyzer writes every minute: the engine state as its checkpoint JSON
  const k0 = performance.now();
  const checkpointMB = JSON.stringify(engine.serialize(state)).length / 1e6;
  const checkpointMs = performance.now() - k0;
  return {
    checkpointMs, checkpointMB,
    mode, records, cpuS: (cpu.user + cpu.system) / 1e6, wallS, worstCpuMs: worst.cpuMs, worstMs: worst.ms,
    episodes: ids.size, latencyEpisodes: [...ids].filter((i) => i.endsWith(':latency')).length, fillS,
    rssMB, maxRssMB: process.resourceUsage().maxRSS / 1e3,
  };
}

const child = process.argv[2];
if (child === 'loss' || child === 'latency') {
  console.log(JSON.stringify(await runMode(process.argv[3]!, child)));
} else {
  const dir = mkdtempSync(join(tmpdir(), 'vipwatch-bench-latency-'));
  try {
    const file = join(dir, 'results.jsonl');
    const g0 = performance.now();
    const lines = generate(file);
    console.log(`generated ${lines} records (${(statSync(file).size / 1e6).toFixed(0)} MB) in ${((performance.now() - g0) / 1000).toFixed(1)} s`);
    const results: Record<string, ModeResult> = {};
    for (const mode of ['loss', 'latency'] as const) {
      const r = spawnSync(process.execPath, ['--import', 'tsx', '--max-old-space-size=4096', new URL(import.meta.url).pathname, mode, file], { encoding: 'utf8', maxBuffer: 1 << 24 });
      if (r.status !== 0) throw new Error(`${mode} run failed: ${r.stderr}`);
      results[mode] = JSON.parse(r.stdout.trim().split('\n').at(-1)!) as ModeResult;
      console.log(JSON.stringify(results[mode]));
    }
    const loss = results.loss!;
    const lat = results.latency!;
    const rate = (x: ModeResult) => x.records / x.cpuS;
    const fmt = (n: number) => Math.round(n).toLocaleString('en-US');
    const cells = vips.length * groups.length;
    const perCell = Baselines.bytesPerCell(1440) + 4 * 5 + 4 + 2;
    console.log(`latency state: ${perCell} bytes per cell (baseline summary ${Baselines.bytesPerCell(1440)}), ${(perCell * cells / 1e6).toFixed(0)} MB for ${fmt(cells)} cells; `
      + `a day's baseline filled in ${lat.fillS.toFixed(1)} s; ${loss.episodes} episodes loss-only, ${lat.episodes} with latency (${lat.latencyEpisodes} latency); `
      + `checkpoint ${lat.checkpointMB.toFixed(1)} MB of JSON in ${lat.checkpointMs.toFixed(0)} ms (loss only: ${loss.checkpointMB.toFixed(1)} MB in ${loss.checkpointMs.toFixed(0)} ms)`);
    console.log(`analyze latency on vs loss only: ${fmt(rate(lat))} vs ${fmt(rate(loss))} records/s per CPU-second (x${(rate(lat) / rate(loss)).toFixed(2)}); `
      + `worst minute ${lat.worstCpuMs.toFixed(0)} vs ${loss.worstCpuMs.toFixed(0)} ms CPU (x${(lat.worstCpuMs / loss.worstCpuMs).toFixed(2)}); `
      + `resident memory with a full day's baseline ${lat.rssMB.toFixed(0)} MB (peak ${lat.maxRssMB.toFixed(0)} MB, the ${MINUTES} minutes of parsed records included)`);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}
