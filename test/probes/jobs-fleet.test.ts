// A job answered by a running fleet: 50 real agents (the simulated fleet: task pull, probing, reporting, and the job
// long poll, on the "sim" probe backend) behind one gateway. A ping job to 20 of them must be done, with every
// source's result record, within the contract's times: delivered within 10 s, every result in within 10 s after
// the probes end.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { runMs } from '../../core/job-service.js';
import { demoInventory } from '../../core/demo.js';
import type { ResultRecord } from '../../core/records.js';
import type { TraceResult } from '../../core/jobs.js';
import { getJson, postJob, startStack } from './stack.js';

test('50 agents: an icmp job to 20 sources is done with 20 result records within the contract times', async (t) => {
  const inventory = demoInventory({ dcsPerGroup: 1, hostsPerDc: 1, vipDcs: 2, vipsPerDc: 2 });
  const fleetHosts = inventory.hosts.slice(0, 50).map((h) => h.id);
  // the sim's scripted outage from the start: idc-beijing-ct drops traffic from ct at its edge (for the traceroute job)
  const broken = inventory.vips[0]!;
  const s = await startStack({ inventory, fleetHosts, config: { probes: { intervalMs: 200 }, sim: { exclude: inventory.hosts.slice(50).map((h) => h.id), spikes: { everyMinutes: 0 }, lossPct: 0, incident: { dc: broken.dc, isps: ['ct'], startMinute: 0, minutes: 1000, lossPct: 100 } } } });
  t.after(() => s.stop());
  // every agent holds its job poll open
  const until = Date.now() + 15_000;
  let waiting = 0;
  while (Date.now() < until) {
    const m = /^vipwatch_job_polls_waiting (\d+)$/m.exec(await (await fetch(`${s.url}/metrics`)).text());
    waiting = Number(m?.[1] ?? 0);
    if (waiting === 50) break;
    await new Promise((r) => setTimeout(r, 100));
  }
  assert.equal(waiting, 50, 'all 50 agents wait on the job channel');

  const target = inventory.vips[2]!.ip;
  const t0 = Date.now();
  const made = await postJob(s, 'operator', { target, method: 'icmp', scope: { hosts: fleetHosts }, sources: 20, count: 5 });
  assert.equal(made.status, 202, JSON.stringify(made.body));
  let view = await getJson(s, `/api/v1/probes/${made.body.id}`, s.tokens.viewer);
  while (view.body.status !== 'done' && Date.now() - t0 < 40_000) {
    await new Promise((r) => setTimeout(r, 100));
    view = await getJson(s, `/api/v1/probes/${made.body.id}`, s.tokens.viewer);
  }
  const took = Date.now() - t0;
  const probesMs = runMs({ method: 'icmp', count: 5, intervalMs: 200, timeoutMs: s.cfg.probes.timeoutMs });
  console.log(`# job to 20 of 50 agents: all results in ${took} ms after POST (probes take up to ${probesMs} ms)`);
  assert.equal(view.body.status, 'done');
  assert.equal(view.body.requested, 20);
  const results = view.body.results as ResultRecord[];
  assert.equal(results.length, 20, 'done because every source answered, not because the deadline passed');
  assert.equal(new Set(results.map((r) => r.host)).size, 20);
  for (const r of results) {
    assert.ok(fleetHosts.includes(r.host));
    assert.equal(r.vip, target);
    assert.equal(r.method, 'icmp');
    assert.equal(r.sent, 5);
    assert.equal(r.recv, 5, 'the sim has no loss configured');
    assert.ok(r.rttAvg! > 0 && r.rttAvg! < 300, `rtt ${r.rttAvg}`);
  }
  assert.ok(took <= 10_000 + probesMs + 10_000, `contract: delivered within 10 s, results within 10 s after the probes: ${took} ms`);
});

test('50 agents: a traceroute job gets modelled paths; during the sim outage paths from ct stop before the VIP DC', async (t) => {
  const inventory = demoInventory({ dcsPerGroup: 1, hostsPerDc: 1, vipDcs: 2, vipsPerDc: 2 });
  // an IPv6 VIP in the healthy DC, for the [IPv6]:port TCP SYN traceroute job
  const healthy6 = { ...inventory.vips.at(-1)!, ip: 'fd00:19::1' };
  inventory.vips.push(healthy6);
  const fleetHosts = inventory.hosts.slice(0, 50).map((h) => h.id);
  const broken = inventory.vips[0]!;
  const s = await startStack({ inventory, fleetHosts, config: { sim: { exclude: inventory.hosts.slice(50).map((h) => h.id), spikes: { everyMinutes: 0 }, lossPct: 0, incident: { dc: broken.dc, isps: ['ct'], startMinute: 0, minutes: 1000, lossPct: 100 } } } });
  t.after(() => s.stop());
  await new Promise((r) => setTimeout(r, 1000));
  const made = await postJob(s, 'admin', { target: broken.ip, method: 'traceroute', scope: { hosts: fleetHosts }, sources: 12 });
  assert.equal(made.status, 202, JSON.stringify(made.body));
  /** the job's view once it is done (or after 30 s) */
  const done = async (id: string) => {
    let view = await getJson(s, `/api/v1/probes/${id}`, s.tokens.viewer);
    for (const t0 = Date.now(); view.body.status !== 'done' && Date.now() - t0 < 30_000;) {
      await new Promise((r) => setTimeout(r, 200));
      view = await getJson(s, `/api/v1/probes/${id}`, s.tokens.viewer);
    }
    return view;
  };
  const view = await done(String(made.body.id));
  const traces = view.body.results as TraceResult[];
  assert.equal(traces.length, 12);
  const ispOf = (h: string) => inventory.datacenters.find((d) => d.id === inventory.hosts.find((x) => x.id === h)!.dc)!.isp;
  const ct = traces.filter((r) => ispOf(r.host) === 'ct');
  const others = traces.filter((r) => ispOf(r.host) !== 'ct');
  assert.ok(ct.length && others.length, 'sources of several isps');
  for (const r of others) {
    assert.equal(r.reached, true);
    assert.equal(r.hops.at(-1)!.ip, broken.ip);
    assert.deepEqual(r.hops.map((h) => h.ttl), r.hops.map((_, i) => i + 1));
    assert.ok(r.hops.every((h) => h.rtt.length === 3 && h.lost === 0));
  }
  for (const r of ct) {
    assert.equal(r.reached, false, JSON.stringify(r));
    // the VIP DC's edge and the VIP are silent; every router before them answers
    assert.deepEqual(r.hops.slice(-2).map((h) => h.ip), [null, null]);
    assert.ok(r.hops.slice(0, -2).every((h) => h.ip !== null && h.lost === 0));
  }
  // ip:port asks for TCP SYN traceroute: the simulated fleet answers it from the same modelled paths
  const tcp = await postJob(s, 'admin', { target: `${broken.ip}:443`, method: 'traceroute', scope: { hosts: fleetHosts }, sources: 6 });
  assert.equal(tcp.status, 202, JSON.stringify(tcp.body));
  const tview = await done(String(tcp.body.id));
  const tcpTraces = tview.body.results as TraceResult[];
  assert.equal(tcpTraces.length, 6, JSON.stringify(tview.body));
  assert.ok(tcpTraces.filter((r) => ispOf(r.host) !== 'ct').every((r) => r.reached && r.hops.at(-1)!.ip === broken.ip));
  // [IPv6]:port: TCP SYN traceroute to an IPv6 VIP, answered from the modelled path to its DC, which is up
  const tcp6 = await postJob(s, 'admin', { target: `[${healthy6.ip}]:443`, method: 'traceroute', scope: { hosts: fleetHosts }, sources: 4 });
  assert.equal(tcp6.status, 202, JSON.stringify(tcp6.body));
  const t6view = await done(String(tcp6.body.id));
  const t6 = t6view.body.results as TraceResult[];
  assert.equal(t6.length, 4, JSON.stringify(t6view.body));
  for (const r of t6) {
    assert.equal(r.target, `[${healthy6.ip}]:443`);
    assert.ok(r.reached && r.hops.length >= 4 && r.hops.at(-1)!.ip === healthy6.ip, JSON.stringify(r));
  }
});
