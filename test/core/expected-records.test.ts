// The board's records-per-minute expectation (core/expected-records.ts) against the task lists the gateway really
// hands out for the demo inventory: counted from each host's targets, grouped by the host's province x isp and by
// each target VIP's DC, with redundancy 1 and 2; and a host with probe:false adds nothing.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { buildCatalog } from '../../core/catalog.js';
import { demoInventory } from '../../core/demo.js';
import { expectedRecords } from '../../core/expected-records.js';
import { snapshot } from '../../gateway/tasks.js';

for (const k of [1, 2]) {
  test(`expected records per cell equal the gateway's task lists (redundancy ${k})`, () => {
    const inv = demoInventory();
    inv.hosts[0] = { ...inv.hosts[0]!, probe: false };
    const catalog = buildCatalog(inv);
    const snap = snapshot(inv, k, 6);
    const groups = new Map<string, number>(), dcs = new Map<string, number>();
    for (const list of snap.tasks.values()) {
      const dc = catalog.dcs.get(catalog.hosts.get(list.host)!.dc)!;
      const g = `${dc.province}/${dc.isp}`;
      groups.set(g, (groups.get(g) ?? 0) + list.targets.length);
      for (const t of list.targets) {
        const d = `${catalog.vips.get(t.vip)!.dc}/${dc.isp}`;
        dcs.set(d, (dcs.get(d) ?? 0) + 1);
      }
    }
    const got = expectedRecords(catalog, k);
    assert.ok(groups.size > 90 && dcs.size > 10, `the demo has many cells (${groups.size} groups, ${dcs.size} DC x isp)`);
    assert.deepEqual([...got.groups].sort(), [...groups].sort());
    assert.deepEqual([...got.dcs].sort(), [...dcs].sort());
  });
}
