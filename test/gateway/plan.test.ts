// The planner against the contract's four rules, as properties over generated inventories.
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import fc from 'fast-check';
import { ISPS, PROVINCES } from '../../core/geo.js';
import type { Inventory, Plan } from '../../core/model.js';
import { plan } from '../../gateway/plan.js';
import { churn, planViolations } from '../support/plan-rules.js';
import { generateInventory } from '../support/inventory-gen.js';

const groupPairs = PROVINCES.slice(0, 4).flatMap((p) => ISPS.map((i) => [p.id, i.id] as const));

/** Inventories with 1..12 DCs per group, 1..150 hosts per DC, some hosts with probe: false. */
const inventoryArb = fc.record({
  groups: fc.array(fc.record({
    pair: fc.integer({ min: 0, max: groupPairs.length - 1 }),
    dcs: fc.array(fc.record({ hosts: fc.integer({ min: 1, max: 150 }), noProbe: fc.integer({ min: 0, max: 3 }) }), { minLength: 1, maxLength: 12 }),
  }), { minLength: 1, maxLength: 3 }),
  vips: fc.integer({ min: 0, max: 400 }),
  vipDcs: fc.integer({ min: 1, max: 3 }),
}).map(({ groups, vips, vipDcs }): Inventory => {
  const inv: Inventory = { datacenters: [], hosts: [], vips: [], businesses: [{ name: 'b', owners: [] }], isps: [] };
  groups.forEach((g, gi) => {
    const [province, isp] = groupPairs[g.pair]!;
    g.dcs.forEach((d, di) => {
      const id = `dc-${gi}-${di}`;
      inv.datacenters.push({ id, province, isp });
      for (let h = 0; h < d.hosts; h++) inv.hosts.push({ id: `${id}-h${h}`, ip: '198.18.0.1', dc: id, probe: h >= d.noProbe || h === 0 });
    });
  });
  for (let t = 0; t < vipDcs; t++) inv.datacenters.push({ id: `target-${t}`, province: 'beijing', isp: 'ct' });
  for (let v = 0; v < vips; v++) inv.vips.push({ ip: `198.19.${v >> 8}.${v & 255}`, dc: `target-${v % vipDcs}`, business: 'b' });
  return inv;
});

const shuffled = <T>(a: T[], seed: number): T[] => {
  const out = a.slice();
  let s = seed;
  for (let i = out.length - 1; i > 0; i--) { s = (s * 1103515245 + 12345) >>> 0; const j = s % (i + 1); [out[i], out[j]] = [out[j]!, out[i]!]; }
  return out;
};

for (const K of [1, 2]) {
  test(`K=${K}: coverage, no overlap inside a DC and balance hold on generated inventories`, () => {
    fc.assert(fc.property(inventoryArb, (inv) => {
      const violations = planViolations(inv, plan(inv, { redundancy: K }), K);
      assert.deepEqual(violations.slice(0, 5), []);
    }), { numRuns: 40, seed: 4242 + K });
  });

  test(`K=${K}: the plan does not depend on the order of the inventory's entries`, () => {
    fc.assert(fc.property(inventoryArb, fc.integer({ min: 1, max: 1e6 }), (inv, seed) => {
      const reordered: Inventory = {
        ...inv,
        datacenters: shuffled(inv.datacenters, seed), hosts: shuffled(inv.hosts, seed + 1), vips: shuffled(inv.vips, seed + 2),
      };
      assert.equal(JSON.stringify(plan(reordered, { redundancy: K })), JSON.stringify(plan(inv, { redundancy: K })));
    }), { numRuns: 15, seed: 77 + K });
  });
}

test('1% of hosts leaving or joining moves at most 5% of the staying hosts\' pairs', () => {
  fc.assert(fc.property(fc.integer({ min: 1, max: 1e9 }), fc.constantFrom(1, 2), (seed, K) => {
    const inv = generateInventory({ seed, groups: 93, dcsPerGroup: [1, 12], hostsPerDc: [1, 150], vips: 1500, noProbe: 0.01, totalHosts: 12_000 });
    const before = plan(inv, { redundancy: K });
    const leaving = new Set(shuffled(inv.hosts.map((h) => h.id), seed).slice(0, Math.ceil(inv.hosts.length / 100)));
    const left = churn(before, plan({ ...inv, hosts: inv.hosts.filter((h) => !leaving.has(h.id)) }, { redundancy: K }));
    const extra = shuffled(inv.hosts, seed + 1).slice(0, Math.ceil(inv.hosts.length / 100)).map((h, i) => ({ ...h, id: `${h.id}-new${i}` }));
    const joined = churn(before, plan({ ...inv, hosts: [...inv.hosts, ...extra] }, { redundancy: K }));
    assert.ok(left.moved <= 0.05, `leave moved ${(left.moved * 100).toFixed(2)}%`);
    assert.ok(joined.moved <= 0.05, `join moved ${(joined.moved * 100).toFixed(2)}%`);
  }), { numRuns: 4, seed: 9 });
});

test('`vipwatch plan` prints the contract JSON, the same for a reordered inventory file', () => {
  const dir = mkdtempSync(join(tmpdir(), 'vipwatch-plan-'));
  const inv = generateInventory({ seed: 3, groups: 5, dcsPerGroup: [1, 4], hostsPerDc: [1, 6], vips: 40 });
  const files = [inv, { ...inv, hosts: inv.hosts.slice().reverse(), vips: inv.vips.slice().reverse() }].map((v, i) => {
    const f = join(dir, `inv${i}.json`);
    writeFileSync(f, JSON.stringify(v));
    return f;
  });
  const run = (f: string, k: string) => execFileSync(process.execPath, ['bin/vipwatch.js', 'plan', '--inventory', f, '--redundancy', k], { encoding: 'utf8' });
  const out = run(files[0]!, '2');
  assert.equal(out, run(files[1]!, '2'));
  const parsed = JSON.parse(out) as Plan;
  assert.equal(parsed.redundancy, 2);
  assert.deepEqual(Object.keys(parsed).sort(), ['assignments', 'redundancy']);
  assert.deepEqual(planViolations(inv, parsed, 2), []);
});
