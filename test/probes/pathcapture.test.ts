// Path capture in the demo set-up: the simulated fleet (real agents, "sim" backend) plays its scripted DC outage
// (the VIP DC drops traffic from ct and cu at its edge); the live analyzer opens the DC fault, path capture sends
// traceroute jobs to sources inside (ct, cu) and outside (cm) the scope, and the diagnosis, kept with the episode,
// names the last router before the DC edge and says the cm paths reach the VIP; GET /api/v1/faults/:id and the
// fault page show it, and the fault's recipients get one follow-up message (.eml files of the outbox).
import assert from 'node:assert/strict';
import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import { modelledHops } from '../../agent/sim/trace.js';
import { buildCatalog } from '../../core/catalog.js';
import type { Diagnosis } from '../../core/diagnosis.js';
import { demoInventory } from '../../core/demo.js';
import { login } from '../web/harness.js';
import { getJson, startStack } from './stack.js';

test('sim DC outage: the DC fault gets a path diagnosis naming the last hop before the DC edge, and one follow-up per recipient', async (t) => {
  // 8 provinces x 3 isps, one host each (a small fleet keeps its minutes on time on a busy machine); the outage
  // takes 3 of a host's 12 VIPs: too few to make its group "bad" (that would be a region fault)
  const full = demoInventory({ dcsPerGroup: 1, hostsPerDc: 1, vipDcs: 4, vipsPerDc: 3 });
  const provinces = new Set(['beijing', 'tianjin', 'hebei', 'shanxi', 'shanghai', 'jiangsu', 'zhejiang', 'guangdong']);
  const keepDcs = new Set(full.datacenters.filter((d) => provinces.has(d.province) || full.vips.some((v) => v.dc === d.id)).map((d) => d.id));
  const inventory = { ...full, datacenters: full.datacenters.filter((d) => keepDcs.has(d.id)), hosts: full.hosts.filter((h) => keepDcs.has(h.dc)) };
  const dc = inventory.vips[0]!.dc;
  const dir = mkdtempSync(join(tmpdir(), 'vipwatch-pathcapture-'));
  const mail = join(dir, 'mail');
  const s = await startStack({
    inventory, fleetHosts: inventory.hosts.map((h) => h.id), analyzer: true, dir,
    config: {
      minuteSec: 5, analyzer: { graceSec: 3 }, alerting: { emlDir: mail },
      sim: { spikes: { everyMinutes: 0 }, lossPct: 0, latency: { minutes: 0 }, incident: { dc, isps: ['ct', 'cu'], startMinute: 1, minutes: 30, lossPct: 100 } },
    },
  });
  t.after(async () => { await s.stop(); rmSync(dir, { recursive: true, force: true }); });
  const t0 = Date.now();
  let fault: Record<string, any> | undefined;
  let list: Array<Record<string, any>> = [];
  while (Date.now() - t0 < 90_000) {
    list = (await getJson(s, '/api/v1/faults?status=all', s.tokens.viewer)).body as Array<Record<string, any>>;
    fault = list.find((f) => f.id === `dc:${dc}`);
    if (fault?.diagnosis) break;
    await new Promise((r) => setTimeout(r, 500));
  }
  assert.ok(fault, `the DC fault opened; faults: ${list.map((f) => `${f.id} ${f.start} ${f.end}`).join(', ')}`);
  const one = await getJson(s, `/api/v1/faults/${encodeURIComponent(`dc:${dc}`)}`, s.tokens.viewer);
  assert.equal(one.status, 200);
  const d = one.body.diagnosis as Diagnosis;
  assert.ok(d, `a diagnosis within 60 s: ${JSON.stringify(one.body)}`);
  console.log(`# diagnosis ${Math.round((Date.now() - t0) / 1000)} s after start: ${d.text}`);
  assert.equal(d.kind, 'stop');
  // expected independently from the sim's path model: every ct/cu path's hop before the VIP DC edge is the far
  // ISP's metro router in the DC's province; which one depends on the VIP DC's isp, the same for all sources
  const c = buildCatalog(inventory);
  const ctHost = inventory.hosts.find((h) => c.dcs.get(h.dc)!.isp === 'ct')!.id;
  const hops = modelledHops(c, ctHost, d.paths[0]!.target)!;
  const beforeEdge = hops[hops.findIndex((h) => h.far) - 1]!;
  assert.equal(d.hop?.ip, beforeEdge.ip);
  assert.match(d.text, new RegExp(`^paths from ct, cu stop after ${beforeEdge.ip.replace(/\./g, '\\.')} \\(hop \\d+\\); paths from cm reach the VIP`));
  assert.equal(d.paths.filter((p) => p.side === 'inside').length, 6 * Math.min(3, d.jobs.length));
  assert.ok(d.paths.filter((p) => p.side === 'outside').every((p) => p.isp === 'cm' && p.reached));
  assert.ok(d.paths.filter((p) => p.side === 'inside').every((p) => ['ct', 'cu'].includes(p.isp) && !p.reached));
  // the fault page shows it
  const { cookie } = await login(s.url, 'admin', 'admin-pass-123');
  const page = await (await fetch(`${s.url}/faults/${encodeURIComponent(`${fault.id}@${fault.start}`)}`, { headers: { Cookie: cookie } })).text();
  assert.match(page, /Path diagnosis/);
  assert.ok(page.includes(`paths from ct, cu stop after ${beforeEdge.ip}`), 'the finding on the fault page');
  // the shared hop marked on every path through it: every affected one (the comparison paths cross it too, here)
  assert.ok((page.match(/class="hop hop-shared"/g) ?? []).length >= d.paths.filter((p) => p.side === 'inside').length);
  // one follow-up per recipient set of the opening, carrying the diagnosis
  let files: string[] = [];
  const count = (kind: string) => files.filter((f) => f.includes(`-${kind}-dc-`)).length;
  // the deliverer writes the files on its own pass: wait for every follow-up of every opening (busy machine: 30 s)
  for (const t1 = Date.now(); Date.now() - t1 < 30_000; await new Promise((r) => setTimeout(r, 300))) {
    files = existsSync(mail) ? readdirSync(mail).filter((f) => f.endsWith('.eml')) : [];
    if (count('diagnosis') && count('diagnosis') >= count('open')) break;
  }
  const opens = files.filter((f) => f.includes('-open-dc-'));
  const follow = files.filter((f) => f.includes('-diagnosis-dc-'));
  assert.ok(opens.length >= 2, `open messages: ${files.join(' ')}`);
  assert.equal(follow.length, opens.length, 'one follow-up per open message');
  const body = readFileSync(join(mail, follow[0]!), 'utf8');
  assert.match(body, /PATH DIAGNOSIS/);
  assert.ok(body.replace(/=\r?\n/g, '').includes(d.text.slice(0, 40)), body);
});
