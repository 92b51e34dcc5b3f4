// `npm run bench:analyze`: replays a generated fleet of 10,000 VIPs x 93 province-ISP groups for 10 minutes
// (930,000 records a minute) through the real replay path: JSONL file -> parse -> engine. Prints on its LAST line the
// records per second (JSON parsing included) and the worst minute's engine time.
// BENCH_MINUTES (10) sets the minutes; BENCH_PER_MINUTE=1 also prints each minute's engine CPU and transitions.
import { closeSync, mkdtempSync, openSync, rmSync, statSync, writeSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { buildCatalog } from '../../core/catalog.js';
import { rulesSchema } from '../../core/config.js';
import { demoInventory } from '../../core/demo.js';
import { replayFile } from '../../analyzer/replay.js';

const MINUTES = Number(process.env.BENCH_MINUTES ?? 10);
const T0 = Date.parse('2026-11-23T14:00:00Z');
// 31 provinces x 3 isps x 2 DCs x 2 hosts = 372 hosts in 93 groups; 10 VIP DCs x 1,000 VIPs
const inventory = demoInventory({ dcsPerGroup: 2, hostsPerDc: 2, vipDcs: 10, vipsPerDc: 1000 });
const catalog = buildCatalog(inventory);
const groups = [...catalog.groups.values()];
const vips = inventory.vips;

const dir = mkdtempSync(join(tmpdir(), 'vipwatch-bench-analyze-'));
try {
  const file = join(dir, 'results.jsonl');
  const t0 = performance.now();
  const fd = openSync(file, 'w');
  let lines = 0;
  for (let m = 0; m < MINUTES; m++) {
    const ts = new Date(T0 + m * 60_000).toISOString().replace('.000Z', 'Z');
    for (const hosts of groups) {
      const parts: string[] = [];
      for (let v = 0; v < vips.length; v++) {
        const host = hosts[v % hosts.length]!;
        // something for the rules to find: one VIP DC down from every isp from minute 3, plus scattered loss
        const down = m >= 3 && vips[v]!.dc === 'idc-beijing-ct';
        const recv = down ? 0 : (v * 7 + m) % 97 === 0 ? 12 : 20;
        parts.push(recv === 0
          ? `{"ts":"${ts}","host":"${host.id}","vip":"${vips[v]!.ip}","method":"icmp","sent":20,"recv":0}`
          : `{"ts":"${ts}","host":"${host.id}","vip":"${vips[v]!.ip}","method":"icmp","sent":20,"recv":${recv},"rttMin":31.2,"rttAvg":33.5,"rttMax":40.1}`);
      }
      writeSync(fd, parts.join('\n') + '\n');
      lines += parts.length;
    }
  }
  closeSync(fd);
  const genS = (performance.now() - t0) / 1000;
  console.log(`generated ${lines} records (${(statSync(file).size / 1e6).toFixed(0)} MB) in ${genS.toFixed(1)} s`);

  const t1 = performance.now();
  const c1 = process.cpuUsage();
  let worst = { ms: 0, cpuMs: 0, records: 0 };
  let faults = 0;
  let engineCpuMs = 0;
  const r = await replayFile(file, {
    catalog, rules: rulesSchema.parse({}), minuteMs: 60_000, whitelist: [],
    onMinute: (o) => {
      faults += o.transitions.length;
      engineCpuMs += o.evalCpuMs;
      if (o.evalCpuMs > worst.cpuMs) worst = { ms: o.evalMs, cpuMs: o.evalCpuMs, records: o.records };
      if (process.env.BENCH_PER_MINUTE) console.log(`minute ${new Date(o.minute).toISOString()}: ${o.evalCpuMs.toFixed(0)} ms CPU, ${o.transitions.length} transitions`);
    },
  });
  const totalS = (performance.now() - t1) / 1000;
  const cpu = process.cpuUsage(c1);
  const cpuS = (cpu.user + cpu.system) / 1e6;
  const fmt = (n: number) => Math.round(n).toLocaleString('en-US');
  console.log(`replayed ${r.minutes} minutes, ${r.records} records, ${r.episodes.length} episodes (${faults} transitions): wall ${totalS.toFixed(2)} s, `
    + `CPU ${cpuS.toFixed(2)} s (reading and checking the file ${(cpuS - engineCpuMs / 1000).toFixed(2)} s, engine ${(engineCpuMs / 1000).toFixed(2)} s)`);
  // CPU time is what one core spends; wall time also counts waiting for a shared machine's other work.
  console.log(`analyze: ${fmt(r.records / cpuS)} records/s per CPU-second (${fmt(r.records / totalS)} by wall clock), JSON parsing included; `
    + `worst minute ${worst.cpuMs.toFixed(0)} ms CPU (${worst.ms.toFixed(0)} ms wall) for ${fmt(worst.records)} records`);
} finally {
  rmSync(dir, { recursive: true, force: true });
}
