// npm run bench:plan: plans 100,000 hosts x 10,000 VIPs, then measures how many pairs move when 1% of hosts
// leave and when 1% join. Last line: the figures.
import { plan } from '../../gateway/plan.js';
import type { Inventory } from '../../core/model.js';
import { seededRandom as rng } from '../../core/random.js';
import { generateInventory } from '../support/inventory-gen.js';
import { churn } from '../support/plan-rules.js';

const HOSTS = Number(process.env.BENCH_HOSTS ?? 100_000);
const VIPS = Number(process.env.BENCH_VIPS ?? 10_000);

let peak = 0;
const sample = () => { peak = Math.max(peak, process.memoryUsage().rss); };
const sampler = setInterval(sample, 50);
const pct = (x: number) => `${(x * 100).toFixed(2)}%`;

const inv = generateInventory({ seed: 7, groups: 93, dcsPerGroup: [1, 12], hostsPerDc: [1, 150], vips: VIPS, noProbe: 0.01, totalHosts: HOSTS });
const t0 = performance.now();
const p0 = plan(inv);
const seconds = (performance.now() - t0) / 1000;
sample();
const pairs = Object.values(p0.assignments).reduce((s, l) => s + l.length, 0);
console.log(`planned ${inv.hosts.length} hosts x ${inv.vips.length} VIPs: ${pairs} pairs in ${seconds.toFixed(2)} s`);

const r = rng(99);
const leaving = new Set(inv.hosts.filter(() => r() < 0.01).map((h) => h.id));
const left: Inventory = { ...inv, hosts: inv.hosts.filter((h) => !leaving.has(h.id)) };
const joined: Inventory = { ...inv, hosts: [...inv.hosts, ...inv.hosts.filter(() => r() < 0.01).map((h, i) => ({ ...h, id: `${h.id}-new${i}` }))] };
const leave = churn(p0, plan(left));
const join = churn(p0, plan(joined));
sample();
clearInterval(sampler);
console.log(`plan: ${inv.hosts.length} hosts x ${inv.vips.length} VIPs in ${seconds.toFixed(2)} s, peak RSS ${Math.round(peak / 2 ** 20)} MB, ` +
  `pairs moved: ${pct(leave.moved)} when 1% of hosts leave, ${pct(join.moved)} when 1% join ` +
  `(pairs lost or gained: ${pct(leave.changed)}, ${pct(join.changed)})`);
