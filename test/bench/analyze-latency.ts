// `npm run bench:analyze:latency`: the analyzer with latency faults on against loss only, on the same generated fleet
// as bench:analyze (10,000 VIPs x 93 groups, 930,000 records a minute, BENCH_MINUTES minutes, JSON parsing included),
// each run in its own child process. Two files, alike but for one thing: both have a loss outage (idc-beijing-ct
// down from every isp from minute 3, 1,001 loss episodes in either mode); `incident` also has a latency one
// (idc-shanghai-cu +60 ms from ct and cu from minute 3, 1,001 latency episodes). The comparison is on `steady`, where
// the latency rules open nothing: the same records and the same episodes in both modes, so the difference is the
// latency lane's own cost; the incident's opening minute is reported apart. Latency runs start from a full day's
// baseline in every cell and a full smoothing window, so every minute adds to the baselines, and median lookups and
// slot expiry are the real ones.
// Also measures the live analyzer's checkpoint at full scale, into a real SQLite fault store: per minute (the
// every-minute state plus one latency lane part) against the whole state every minute as before.
// BENCH_REPEAT (default 3) runs each mode that many times, alternating. The figure is robust to a shared machine:
// CPU time, not wall, and per minute the least CPU time over the repeats (other work only ever adds to a minute, so
// the least is the least disturbed); the worst minute is the worst of those per-minute floors. Each child runs a full
// GC (--expose-gc) right after parsing the file, so the whole file's garbage is not collected inside whichever minute
// fills the heap (the live analyzer gets one minute's records at a time). Each minute's garbage collection pauses
// (wall, from the runs' gc entries) are printed beside it, to tell a GC pause from the rules' work.
// Prints on its LAST line the steady-state worst minutes and their ratio.
import { spawnSync } from 'node:child_process';
import { PerformanceObserver } from 'node:perf_hooks';
import { closeSync, existsSync, mkdtempSync, openSync, readFileSync, rmSync, statSync, writeSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { buildCatalog } from '../../core/catalog.js';
import { rulesSchema } from '../../core/config.js';
import { demoInventory } from '../../core/demo.js';
import { createLogger } from '../../core/log.js';
import { encodeState } from '../../core/store/faults-common.js';
import { SqliteFaultStore } from '../../core/store/sqlite/faults.js';
import { Baselines } from '../../analyzer/engine/baseline.js';
import { Engine } from '../../analyzer/engine/engine.js';
import type { EngineState } from '../../analyzer/engine/state.js';
import { buildTopology } from '../../analyzer/engine/topology.js';
import { replayMinutes } from '../../analyzer/replay.js';
import { loadResults } from '../../analyzer/results-file.js';

const MINUTES = Number(process.env.BENCH_MINUTES ?? 10);
const REPEAT = Number(process.env.BENCH_REPEAT ?? 3);
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

function generate(file: string, incident: boolean): number {
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
        const slow = incident && m >= 3 && dc === 'idc-shanghai-cu' && isp !== 'cm' ? 60 : 0;
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

/**
 * A full day in every cell's baseline: the minutes before the file, as they would have entered live. A cell's summary
 * depends only on its latencies (by (v*13+g*7) % 60 and (v+g) % 3) and its slot stagger (cell % slot length), so
 * one cell of each kind is filled minute by minute and the others copy it (the same bytes, 40x sooner).
 */
function fillDay(state: EngineState, baselineMinutes: number, window: number, first: number): void {
  const b = state.baselines;
  const ng = topo.groups.length;
  // and the smoothing window's minutes before the file, waiting to enter the baseline: every minute of the run adds one
  for (let c = 0; c < b.cells; c++) {
    for (let t = first + baselineMinutes; t < first + baselineMinutes + window; t++) state.pending[(t % window) * b.cells + c] = usual(Math.floor(c / ng), c % ng, t);
  }
  const done = new Map<number, number>();
  for (let c = 0; c < b.cells; c++) {
    const v = Math.floor(c / ng);
    const g = c % ng;
    const kind = (((v * 13 + g * 7) % 60) * 3 + ((v + g) % 3)) * b.slotLen + (c % b.slotLen);
    const from = done.get(kind);
    if (from === undefined) {
      for (let t = first; t < first + baselineMinutes; t++) {
        if (b.rotatesAt(c, t)) b.expire(c, t);
        b.add(c, usual(v, g, t), t);
      }
      done.set(kind, c);
      continue;
    }
    b.copyCell(c, from);
  }
}

/** Bytes this process has had written to disk so far (Linux), or null. */
const diskWritten = (): number | null => {
  try { return Number(/write_bytes: (\d+)/.exec(readFileSync('/proc/self/io', 'utf8'))![1]); } catch { return null; }
};

interface Checkpoints { perMinuteMs: number[]; perMinuteBytes: number[]; perMinuteDisk: number[]; wholeMs: number; wholeBytes: number; wholeDisk: number }

interface ModeResult {
  mode: string; file: string; records: number; cpuS: number; minuteCpuMs: number[]; worstCpuMs: number; episodes: number; latencyEpisodes: number;
  /** per minute: the garbage collector's pauses inside the minute's evaluation (ms, wall) */
  minuteGcMs: number[];
  incidentMinute: number | null; fillS: number; rssMB: number; maxRssMB: number; checkpoints: Checkpoints | null;
}

async function runMode(file: string, mode: 'loss' | 'latency', kind: string, dir: string): Promise<ModeResult> {
  const rules = rulesSchema.parse({ latencyFaults: mode === 'latency' });
  const engine = new Engine(catalog, { rules, minuteMs: 60_000 });
  const state = engine.initialState();
  let fillS = 0;
  if (mode === 'latency') {
    const f0 = performance.now();
    fillDay(state, rules.baselineMinutes, rules.smoothWindow, T0 / 60_000 - rules.baselineMinutes - rules.smoothWindow);
    fillS = (performance.now() - f0) / 1000;
  }
  // the live analyzer's checkpoint after every minute, into SQLite (latency runs on the steady file only)
  const store = mode === 'latency' && kind === 'steady' ? new SqliteFaultStore({ file: join(dir, `faults-${process.pid}.db`), log: createLogger('silent') }) : null;
  await store?.init();
  const cps: Checkpoints = { perMinuteMs: [], perMinuteBytes: [], perMinuteDisk: [], wholeMs: 0, wholeBytes: 0, wholeDisk: 0 };
  const commit = async (minute: number, main: unknown, parts: Record<string, unknown>, t0: number) => {
    const d0 = diskWritten();
    await store!.commitMinute([], { minute, state: main, parts });
    return { ms: performance.now() - t0, disk: (diskWritten() ?? NaN) - (d0 ?? NaN) };
  };
  // garbage collections, to tell which minutes they land in (entries come later, on the event loop)
  const gcs: Array<{ at: number; ms: number }> = [];
  const gcWatch = new PerformanceObserver((list) => { for (const e of list.getEntries()) gcs.push({ at: e.startTime, ms: e.duration }); });
  gcWatch.observe({ entryTypes: ['gc'] });
  const spans: Array<[number, number]> = [];
  const c1 = process.cpuUsage();
  const loaded = await loadResults(file, engine.topo, 60_000);
  // the whole file's parsing garbage collected now, not in whichever minute fills the heap (the live analyzer gets a
  // minute's records at a time): a minute's GC is then its own (engine.step's and the bench's checkpoint)
  const g0 = process.cpuUsage();
  globalThis.gc?.();
  const g = process.cpuUsage(g0);
  const loadGcS = (g.user + g.system) / 1e6;
  const minuteCpuMs: number[] = [];
  const ids = new Set<string>();
  let records = 0;
  let incidentMinute: number | null = null;
  let checkpointCpuS = 0;
  const minutes = replayMinutes(engine, loaded, [], state);
  for (;;) {
    const s0 = performance.now();
    const next = minutes.next();
    if (next.done) break;
    spans.push([s0, performance.now()]);
    const o = next.value;
    records += o.records;
    minuteCpuMs.push(o.evalCpuMs);
    for (const t of o.transitions) ids.add(t.episode.id);
    if (incidentMinute === null && o.transitions.some((t) => t.kind === 'open' && t.episode.signal === 'latency')) incidentMinute = minuteCpuMs.length - 1;
    if (store) {
      const k0 = process.cpuUsage();
      const t0 = performance.now();
      const cp = engine.checkpoint(state);
      const r = await commit(o.minute, cp.state, cp.parts, t0);
      cps.perMinuteMs.push(r.ms);
      cps.perMinuteDisk.push(r.disk);
      cps.perMinuteBytes.push(encodeState(cp.state).length + Object.values(cp.parts).reduce((s: number, p) => s + encodeState(p).length, 0));
      const k = process.cpuUsage(k0);
      checkpointCpuS += (k.user + k.system) / 1e6; // not the analysis: left out of its throughput
    }
  }
  const cpu = process.cpuUsage(c1);
  await new Promise((r) => setTimeout(r, 50));
  gcWatch.disconnect();
  const minuteGcMs = spans.map(([a, b]) => gcs.filter((g) => g.at >= a && g.at < b).reduce((t, g) => t + g.ms, 0));
  const rssMB = process.memoryUsage().rss / 1e6;
  if (store) {
    // as before parts: the whole state, latency lane inline, every minute
    const t0 = performance.now();
    const whole = engine.serialize(state);
    const r = await commit(state.minute!, whole, {}, t0);
    Object.assign(cps, { wholeMs: r.ms, wholeDisk: r.disk, wholeBytes: encodeState(whole).length });
    await store.close();
  }
  return {
    mode, file: kind, records, cpuS: (cpu.user + cpu.system) / 1e6 - checkpointCpuS - loadGcS, minuteCpuMs, worstCpuMs: Math.max(...minuteCpuMs), minuteGcMs,
    episodes: ids.size, latencyEpisodes: [...ids].filter((i) => i.endsWith(':latency')).length, incidentMinute, fillS,
    rssMB, maxRssMB: process.resourceUsage().maxRSS / 1e3, checkpoints: store ? cps : null,
  };
}

const [child, ...args] = process.argv.slice(2);
if (child === 'loss' || child === 'latency') {
  console.log(JSON.stringify(await runMode(args[0]!, child, args[1]!, args[2]!)));
} else {
  // BENCH_DIR: keep the generated files there (and reuse them), e.g. to profile one run:
  // node --import tsx --expose-gc --cpu-prof test/bench/analyze-latency.ts latency $BENCH_DIR/steady.jsonl steady $BENCH_DIR
  const keep = process.env.BENCH_DIR;
  const dir = keep ?? mkdtempSync(join(tmpdir(), 'vipwatch-bench-latency-'));
  try {
    const files = { steady: join(dir, 'steady.jsonl'), incident: join(dir, 'incident.jsonl') };
    for (const [kind, file] of Object.entries(files)) {
      if (keep && existsSync(file)) continue;
      const g0 = performance.now();
      const lines = generate(file, kind === 'incident');
      console.log(`generated ${kind}: ${lines} records (${(statSync(file).size / 1e6).toFixed(0)} MB) in ${((performance.now() - g0) / 1000).toFixed(1)} s`);
    }
    const runs: Record<string, ModeResult[]> = { loss: [], latency: [], incident: [] };
    for (let i = 0; i < REPEAT; i++) {
      for (const [name, mode, kind] of [['loss', 'loss', 'steady'], ['latency', 'latency', 'steady'], ['incident', 'latency', 'incident']] as const) {
        const r = spawnSync(process.execPath, ['--import', 'tsx', '--max-old-space-size=4096', '--expose-gc', new URL(import.meta.url).pathname, mode, files[kind], kind, dir], { encoding: 'utf8', maxBuffer: 1 << 24 });
        if (r.status !== 0) throw new Error(`${name} run failed: ${r.stderr}`);
        const res = JSON.parse(r.stdout.trim().split('\n').at(-1)!) as ModeResult;
        runs[name]!.push(res);
        console.log(JSON.stringify({ ...res, minuteCpuMs: res.minuteCpuMs.map(Math.round), checkpoints: undefined }));
      }
    }
    // per minute, the least CPU time (and that run's GC pauses in it) over the repeats
    const best = (name: string): ModeResult => {
      const rs = runs[name]!;
      const first = rs.reduce((a, b) => (b.cpuS < a.cpuS ? b : a));
      const pick = first.minuteCpuMs.map((_, m) => rs.reduce((a, b) => (b.minuteCpuMs[m]! < a.minuteCpuMs[m]! ? b : a)));
      const minuteCpuMs = pick.map((r, m) => r.minuteCpuMs[m]!);
      return { ...first, minuteCpuMs, minuteGcMs: pick.map((r, m) => r.minuteGcMs[m]!), worstCpuMs: Math.max(...minuteCpuMs) };
    };
    const loss = best('loss');
    const lat = best('latency');
    const inc = best('incident');
    const worstAt = (r: ModeResult) => r.minuteCpuMs.indexOf(r.worstCpuMs);
    const fmt = (n: number) => Math.round(n).toLocaleString('en-US');
    const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[xs.length >> 1]!;
    const cells = vips.length * groups.length;
    const perCell = Baselines.bytesPerCell(1440) + 4 * 5 + 4 + 2;
    console.log(`latency state: ${perCell} bytes per cell (baseline summary ${Baselines.bytesPerCell(1440)}), ${(perCell * cells / 1e6).toFixed(0)} MB for ${fmt(cells)} cells; `
      + `a day's baseline filled in ${lat.fillS.toFixed(1)} s; resident memory with it ${lat.rssMB.toFixed(0)} MB (peak ${lat.maxRssMB.toFixed(0)} MB, the ${MINUTES} minutes of parsed records included)`);
    const cp = lat.checkpoints!;
    const steadyCp = cp.perMinuteMs.slice(1); // minute 0 writes every lane part (the first save)
    const avg = (xs: number[]) => xs.reduce((s, x) => s + x, 0) / xs.length;
    console.log(`checkpoint per minute (SQLite, the every-minute state + 1 of 10 latency lane parts): ${(avg(cp.perMinuteBytes.slice(1)) / 1e6).toFixed(2)} MB encoded, `
      + `${(avg(cp.perMinuteDisk.slice(1)) / 1e6).toFixed(2)} MB to disk, ${avg(steadyCp).toFixed(0)} ms (worst ${Math.max(...steadyCp).toFixed(0)} ms); first minute (all parts) `
      + `${(cp.perMinuteBytes[0]! / 1e6).toFixed(1)} MB in ${cp.perMinuteMs[0]!.toFixed(0)} ms; the whole state every minute as before: ${(cp.wholeBytes / 1e6).toFixed(1)} MB encoded, `
      + `${(cp.wholeDisk / 1e6).toFixed(1)} MB to disk, ${cp.wholeMs.toFixed(0)} ms`);
    console.log(`episodes: loss-only ${loss.episodes}, latency on ${lat.episodes} (${lat.latencyEpisodes} latency) on the steady file; incident file ${inc.episodes} (${inc.latencyEpisodes} latency); `
      + `throughput on the steady file ${fmt(lat.records / lat.cpuS)} vs ${fmt(loss.records / loss.cpuS)} records/s per CPU-second (x${((lat.records / lat.cpuS) / (loss.records / loss.cpuS)).toFixed(2)}); `
      + `per minute ms CPU (least of ${REPEAT} runs; GC pauses in it): loss ${loss.minuteCpuMs.map((x, m) => `${Math.round(x)} (${Math.round(loss.minuteGcMs[m]!)})`).join(' ')}; `
      + `latency ${lat.minuteCpuMs.map((x, m) => `${Math.round(x)} (${Math.round(lat.minuteGcMs[m]!)})`).join(' ')}; incident ${inc.minuteCpuMs.map(Math.round).join(' ')}`);
    const im = inc.incidentMinute;
    console.log(`incident minute (${inc.latencyEpisodes} latency episodes open, minute ${im}): ${im === null ? 'none' : inc.minuteCpuMs[im]!.toFixed(0)} ms CPU vs the same minute on the steady file `
      + `${im === null ? '-' : lat.minuteCpuMs[im]!.toFixed(0)} ms (latency on) and ${im === null ? '-' : loss.minuteCpuMs[im]!.toFixed(0)} ms (loss only)`);
    console.log(`analyze latency on vs loss only, steady state (same records; ${loss.episodes} vs ${lat.episodes} episodes): worst minute (least of ${REPEAT} runs) ${lat.worstCpuMs.toFixed(0)} vs ${loss.worstCpuMs.toFixed(0)} ms CPU `
      + `(GC ${lat.minuteGcMs[worstAt(lat)]!.toFixed(0)} vs ${loss.minuteGcMs[worstAt(loss)]!.toFixed(0)} ms of it) `
      + `(x${(lat.worstCpuMs / loss.worstCpuMs).toFixed(2)}); median minute ${median(lat.minuteCpuMs).toFixed(0)} vs ${median(loss.minuteCpuMs).toFixed(0)} ms (x${(median(lat.minuteCpuMs) / median(loss.minuteCpuMs)).toFixed(2)})`);
  } finally {
    if (!keep) rmSync(dir, { recursive: true, force: true });
  }
}
