import { openSync, writeSync, closeSync, rmSync } from 'node:fs';
import { buildCatalog } from '../core/catalog.js';
import { demoInventory } from '../core/demo.js';
import { buildTopology } from '../analyzer/engine/topology.js';
import { loadResults } from '../analyzer/results-file.js';
import { loadResults as oldLoad } from './zz-old-results-file.js';
const inventory = demoInventory({ dcsPerGroup: 2, hostsPerDc: 2, vipDcs: 10, vipsPerDc: 1000 });
const catalog = buildCatalog(inventory);
const topo = buildTopology(catalog);
const groups = [...catalog.groups.values()];
const vips = inventory.vips;
const file = '/tmp/contracts/micro.jsonl';
const fd = openSync(file, 'w');
for (let m = 0; m < 2; m++) {
  const ts = new Date(Date.parse('2026-11-23T14:00:00Z') + m * 60_000).toISOString().replace('.000Z', 'Z');
  for (const hosts of groups) {
    const parts: string[] = [];
    for (let v = 0; v < vips.length; v++) {
      const host = hosts[v % hosts.length]!;
      const recv = (v * 7) % 97 === 0 ? 12 : 20;
      parts.push(`{"ts":"${ts}","host":"${host.id}","vip":"${vips[v]!.ip}","method":"icmp","sent":20,"recv":${recv},"rttMin":31.2,"rttAvg":33.5,"rttMax":40.1}`);
    }
    writeSync(fd, parts.join('\n') + '\n');
  }
}
closeSync(fd);
const best: Record<string, number> = { new: Infinity, old: Infinity };
for (let rep = 0; rep < 4; rep++) for (const [name, f] of [['new', loadResults], ['old', oldLoad]] as const) {
  const c0 = process.cpuUsage();
  const r = await f(file, topo, 60_000);
  const c = process.cpuUsage(c0);
  const ms = (c.user + c.system) / 1000;
  best[name] = Math.min(best[name]!, ms);
  console.log(name, r.records, ms.toFixed(0), 'ms cpu');
}
console.log('best', best, 'per record us', (best.new! * 1000 / 1_860_000).toFixed(2), (best.old! * 1000 / 1_860_000).toFixed(2));
rmSync(file);
