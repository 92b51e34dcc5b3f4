import { demoInventory } from '/work/main/core/demo.js';
import { startStack } from '/work/main/test/probes/stack.js';
const inventory = demoInventory({ dcsPerGroup: 1, hostsPerDc: 1, vipDcs: 4, vipsPerDc: 3 });
const dc = inventory.vips[0]!.dc;
const s = await startStack({ inventory, fleetHosts: inventory.hosts.map((h) => h.id), analyzer: true,
  config: { logLevel: 'silent', minuteSec: 4, analyzer: { graceSec: 2 },
    sim: { spikes: { everyMinutes: 0 }, lossPct: 0, latency: { minutes: 0 }, incident: { dc, isps: ['ct', 'cu'], startMinute: 1, minutes: 30, lossPct: 100 } } } });
for (let i = 0; i < 10; i++) {
  await new Promise((r) => setTimeout(r, 4000));
  const m = await s.registry.metrics();
  console.log(i, m.split('\n').filter((l) => /^vipwatch_(analyzer_(minutes|records|transitions|failures|lag)|path_capture)/.test(l)).join(' | '));
}
await s.stop();
