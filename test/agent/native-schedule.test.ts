// The addon's continuous schedule (agent/native/schedule.c through agent/native-engine.ts), as the agent runs it, in
// a private namespace pair: ICMP and ICMPv6 answered, lost in a fixed pattern by nftables (exactly 2 of every 5) and
// dropped; TCP to a listener, to one that resets each connection at once, to one whose every first SYN is dropped
// (the handshake is made by the retransmitted SYN) and to a closed port. Expected counts come
// from the plan (every target once per interval, so perMinute probes in each whole minute) and from the VIP
// namespace's own kernel counters (echo requests it received), not from the schedule. stop() hands over the last,
// partial minute. A probe counts in the minute it was sent in, as in the JS engine: one due just before a minute's
// end may leave in the next tick (up to tickMs later), so a whole minute holds perMinute +- 1 probes of a target
// (fewer only by the slots a stalled machine made the schedule pass over, which it counts as late); the totals are exact.
import assert from 'node:assert/strict';
import { createInterface } from 'node:readline';
import { after, before, describe, it } from 'node:test';
import { fileURLToPath } from 'node:url';
import type { ResultRecord } from '../../core/model.js';
import { missing } from '../support/env.js';
import { NetLab, type Netns } from '../support/netns.js';

const engineModule = fileURLToPath(new URL('../../dist/agent/native-engine.js', import.meta.url));
const metricsModule = fileURLToPath(new URL('../../dist/agent/metrics.js', import.meta.url));
const MINUTE_MS = 3000;
const PER_MINUTE = 10;
const MINUTES = 3;
const V4 = { clean: '198.19.60.1', lossy: '198.19.60.2', dead: '198.19.60.3', reset: '198.19.60.4', retry: '198.19.60.5' };
const V6 = { clean: 'fd00:62::1', dead: 'fd00:62::3' };
const PORT = 7070;
/** addresses of the rotating lists (answered ICMP; TCP to a closed port, refused) */
const ROTATING = ['198.19.60.10', '198.19.60.11', '198.19.60.12', '198.19.60.13', '198.19.60.14'];

interface Batch { start: number; records: ResultRecord[] }
/** probes: vipwatch_agent_probes_total at the stop, [method, outcome, value]; late: vipwatch_agent_probes_late_total */
interface Run { batches: Batch[]; t0: number; stopAt: number; switchAt: number[]; idSpace: number; probes: [string, string, number][]; late: number; stall: [number, number] | null }

/**
 * Runs the native engine inside `ns` on lists[0] to the middle of a minute at least ${MINUTES} minutes on, then stops
 * it: its batches, when it started and stopped, and how many target ids it kept. Each further list is set `everyMs`
 * after the one before, the first in the middle of the first whole minute (switchAt: when). Each target is probed
 * every intervalMs (PER_MINUTE times a minute unless set) with a timeout of timeoutMs, under a rate cap of maxPerSec.
 * stallMs: the event loop is held that long (a busy wait) from the middle of the first whole minute (stall: when).
 */
function runEngine(ns: Netns, lists: object[][], { everyMs = MINUTE_MS, intervalMs = MINUTE_MS / PER_MINUTE, timeoutMs = 500, maxPerSec = 500, stallMs = 0 } = {}): Promise<Run> {
  const minutes = Math.max(MINUTES, Math.ceil(((lists.length - 1) * everyMs) / MINUTE_MS) + 2);
  const script = `
    import { NativeEngine } from ${JSON.stringify(engineModule)};
    import { agentMetrics } from ${JSON.stringify(metricsModule)};
    import { createRequire } from 'node:module';
    const { Registry } = createRequire(${JSON.stringify(engineModule)})('prom-client');
    const log = { info() {}, debug() {}, error: (...a) => console.error(...a), warn: (...a) => console.error(...a) };
    const metrics = agentMetrics(new Registry());
    const engine = NativeEngine.open({ log, metrics, minuteMs: ${MINUTE_MS}, timeoutMs: ${timeoutMs}, tickMs: 50, maxProbesPerSec: 500,
      onMinute: (b) => console.log(JSON.stringify({ start: b.start, records: b.records })) });
    const lists = ${JSON.stringify(lists)};
    engine.setTargets('h1', lists[0], ${intervalMs}, ${maxPerSec});
    const t0 = Date.now();
    engine.start();
    const switchAt = [];
    const first = ${MINUTE_MS} - (t0 % ${MINUTE_MS}) + ${MINUTE_MS / 2}; // the middle of the first whole minute
    lists.slice(1).forEach((list, i) => setTimeout(() => { switchAt.push(Date.now()); engine.setTargets('h1', list, ${intervalMs}, ${maxPerSec}); }, first + i * ${everyMs}));
    let stall = null;
    if (${stallMs}) setTimeout(() => { const from = Date.now(); while (Date.now() < from + ${stallMs}); stall = [from, Date.now()]; }, first);
    setTimeout(() => { const stopAt = Date.now(); engine.stop().then(async () => {
      const probes = (await metrics.probes.get()).values.map((v) => [v.labels.method, v.labels.outcome, v.value]);
      const late = (await metrics.late.get()).values[0]?.value ?? 0;
      console.log(JSON.stringify({ t0, stopAt, switchAt, idSpace: engine.idSpace, probes, late, stall }));
    }); }, first + ${minutes - 1} * ${MINUTE_MS});`;
  const child = ns.spawn(process.execPath, ['--input-type=module', '-e', script]);
  const batches: Batch[] = [];
  let stderr = '';
  child.stderr!.on('data', (c) => { stderr += c; });
  return new Promise((resolve, reject) => {
    createInterface({ input: child.stdout! }).on('line', (l) => {
      const v = JSON.parse(l) as Batch | Omit<Run, 'batches'>;
      if ('t0' in v) resolve({ batches, ...v });
      else batches.push(v);
    });
    child.once('exit', (code) => reject(new Error(`engine exited ${code} before it stopped: ${stderr}`)));
  });
}

/**
 * Each record's probes are `expected` +- `slack`; a stall of the machine (a loop late by more than an interval, 300 ms
 * here) passes slots over and counts them (`late`), so records may fall short by that many probes in all.
 */
function assertSent(records: ResultRecord[], expected: number, slack: number, late: number, what: string): void {
  const over = records.filter((r) => r.sent > expected + slack);
  assert.deepEqual(over.map((r) => `${r.method} ${r.vip} ${r.ts}: sent ${r.sent}`), [], `${what}: more than ${expected} + ${slack} probes`);
  const short = records.filter((r) => r.sent < expected - slack);
  const shortfall = short.reduce((n, r) => n + expected - slack - r.sent, 0);
  assert.ok(shortfall <= late, `${what}: ${short.map((r) => `${r.method} ${r.vip} ${r.ts}: sent ${r.sent}`).join('; ')} (expected ${expected} +- ${slack}), short by ${shortfall} with ${late} slots late`);
}

/** The VIP namespace's echo requests received, IPv4 and IPv6 (the kernel's SNMP counters). */
function echoesIn(ns: Netns): { v4: number; v6: number } {
  const snmp = ns.run('cat', ['/proc/net/snmp']).split('\n').filter((l) => l.startsWith('Icmp:'));
  const v4 = Number(snmp[1]!.split(/\s+/)[snmp[0]!.split(/\s+/).indexOf('InEchos')]);
  const v6 = Number(/Icmp6InEchos\s+(\d+)/.exec(ns.run('cat', ['/proc/net/snmp6']))![1]);
  return { v4, v6 };
}

const netMissing = missing({ root: true, commands: ['ip', 'nft'] });
describe('the native schedule in a namespace: ICMP, ICMPv6 and TCP, counted per minute', { skip: netMissing ?? false }, () => {
  const lab = new NetLab('vwns');
  let agent: Netns;
  let vips: Netns;
  before(async () => {
    agent = lab.ns('agent');
    vips = lab.ns('vips');
    lab.link(agent, vips, '198.18.60.1/30', '198.18.60.2/30');
    lab.link(agent, vips, 'fd00:61::1/64', 'fd00:61::2/64');
    lab.addresses(vips, [...Object.values(V4), ...Object.values(V6), ...ROTATING]);
    lab.route(agent, '198.19.60.0/24', '198.18.60.2');
    lab.route(agent, 'fd00:62::/64', 'fd00:61::2');
    // V4.dead also drops TCP SYNs to PORT: those connects wait out the timeout, and their sockets serve later probes
    // V4.retry drops every other SYN to PORT (a fixed pattern): probed one at a time, each probe's first SYN is lost
    // and its retransmission, after the kernel's initial 1 s timeout, makes the handshake
    lab.loss(vips, [{ addr: V4.lossy, pct: 40 }, { addr: V4.dead, pct: 100 }, { addr: V6.dead, pct: 100 }, { addr: V4.dead, pct: 100, match: { tcpPort: PORT } },
      { addr: V4.retry, pct: 50, match: { tcpPort: PORT } }]);
    // V4.reset accepts and resets at once (as a proxy refusing a client does): the handshake was made, the probe is
    // answered, though the schedule reads the socket on its next tick, after the reset
    const server = vips.spawn(process.execPath, ['-e', `const net = require('net'); let up = 0; const ready = () => { if (++up === 3) console.log('ready'); };
      net.createServer((s) => s.on('error', () => {})).listen(${PORT}, '${V4.clean}', ready);
      net.createServer((s) => s.on('error', () => {})).listen(${PORT}, '${V4.retry}', ready);
      net.createServer((s) => { s.on('error', () => {}); s.resetAndDestroy(); }).listen(${PORT}, '${V4.reset}', ready);`]);
    await new Promise<void>((resolve, reject) => {
      createInterface({ input: server.stdout! }).on('line', (l) => { if (l === 'ready') resolve(); });
      server.once('exit', (code) => reject(new Error(`tcp listener exited ${code}`)));
    });
  });
  after(() => lab.cleanup());

  it('every whole minute: each target probed perMinute times; loss and RTTs as the path makes them; the kernel saw every probe', async () => {
    const targets = [
      { vip: V4.clean, method: 'icmp' }, { vip: V4.lossy, method: 'icmp' }, { vip: V4.dead, method: 'icmp' },
      { vip: V6.clean, method: 'icmp' }, { vip: V6.dead, method: 'icmp' },
      { vip: V4.clean, method: 'tcp', port: PORT }, { vip: V4.lossy, method: 'tcp', port: PORT + 1 },
      { vip: V4.dead, method: 'tcp', port: PORT }, { vip: V4.reset, method: 'tcp', port: PORT },
    ];
    const before = echoesIn(vips);
    const { batches, t0, stopAt, probes, late } = await runEngine(agent, [targets]);
    const seen = echoesIn(vips);
    const starts = batches.map((b) => b.start);
    assert.deepEqual(starts, [...starts].sort((a, b) => a - b), 'minutes in order');
    assert.equal(new Set(starts).size, starts.length, 'each minute once');
    // the probes counter (counted a minute at a time) holds every minute's records, by method and outcome
    const counted = new Map<string, number>();
    for (const r of batches.flatMap((x) => x.records)) {
      counted.set(`${r.method} reply`, (counted.get(`${r.method} reply`) ?? 0) + r.recv);
      counted.set(`${r.method} lost`, (counted.get(`${r.method} lost`) ?? 0) + r.sent - r.recv);
    }
    assert.deepEqual(new Map(probes.map(([m, o, v]) => [`${m} ${o}`, v])), counted, 'vipwatch_agent_probes_total');
    const whole = batches.filter((b) => b.start >= t0 && b.start + MINUTE_MS <= stopAt);
    // the minutes that began at or after the start and ended before the stop: MINUTES - 1, or MINUTES when the start
    // fell on a minute's first millisecond (it happened: 1 run in 3,000)
    const expected = Math.floor((stopAt - Math.ceil(t0 / MINUTE_MS) * MINUTE_MS) / MINUTE_MS);
    assert.ok(expected === MINUTES - 1 || (expected === MINUTES && t0 % MINUTE_MS === 0), `the run's own timing: ${expected}`);
    assert.equal(whole.length, expected, `whole minutes among ${JSON.stringify(starts)} (started ${t0}, stopped ${stopAt})`);
    const of = (b: Batch, method: string, vip: string) => b.records.find((r) => r.method === method && r.vip === vip)!;
    for (const b of whole) {
      assert.equal(b.records.length, targets.length, JSON.stringify(b.records));
      assertSent(b.records, PER_MINUTE, 1, late, `the minute of ${new Date(b.start).toISOString()}`);
      for (const [method, vip] of [['icmp', V4.clean], ['icmp', V6.clean], ['tcp', V4.clean], ['tcp', V4.reset]] as const) {
        const r = of(b, method, vip);
        assert.equal(r.recv, r.sent, `${method} ${vip}: every probe answered`);
      }
      const lossy = of(b, 'icmp', V4.lossy);
      assert.ok(Math.abs(lossy.recv - (lossy.sent * 3) / 5) <= 1, `2 of every 5 dropped: ${lossy.recv} of ${lossy.sent}`);
      for (const [method, vip] of [['icmp', V4.dead], ['icmp', V6.dead], ['tcp', V4.lossy], ['tcp', V4.dead]] as const) {
        const r = of(b, method, vip);
        assert.deepEqual([r.recv, 'rttAvg' in r], [0, false], `${method} ${vip}: all lost, no RTT fields`);
      }
      for (const r of b.records.filter((x) => x.recv > 0)) {
        // replies are read on the 50 ms ticks, a tick after their probes left: an RTT taken when read would be about
        // 50 ms; the kernel's own stamps (ICMP) and handshake RTT (TCP) on this veth are a fraction of a millisecond
        assert.ok(r.rttMin! > 0 && r.rttMin! <= r.rttAvg! && r.rttAvg! <= r.rttMax! && r.rttAvg! < 5, JSON.stringify(r));
      }
    }
    // every probe counted was sent (and nothing else): the VIP namespace's kernel counted each echo request it got
    const sum = (method: string, vip: string, field: 'sent' | 'recv') => batches.reduce((n, b) => n + (of(b, method, vip)?.[field] ?? 0), 0);
    assert.equal(seen.v4 - before.v4, sum('icmp', V4.clean, 'sent') + sum('icmp', V4.lossy, 'recv'), 'IPv4 echo requests received (the dropped ones never reach ICMP)');
    assert.equal(seen.v6 - before.v6, sum('icmp', V6.clean, 'sent'), 'ICMPv6 echo requests received');
    // the last minute is partial (stopped mid-minute) and handed over all the same
    const last = batches.at(-1)!;
    assert.ok(last.start < stopAt && last.start + MINUTE_MS > stopAt, 'the minute it stopped in');
    assert.ok(of(last, 'icmp', V4.clean).sent > 0 && of(last, 'icmp', V4.clean).sent < PER_MINUTE, JSON.stringify(last.records[0]));
  });

  it('a handshake made by a retransmitted SYN: the RTT is the time to the handshake, ~1 s, however late it is read', async (t) => {
    // one probe every 1.5 s, so that the SYNs to V4.retry alternate dropped, passed; the timeout (1.4 s) is past the
    // retransmission, and the schedule reads the socket only at that deadline (no other probe's tick comes first):
    // the time to the read would be ~1.4 s. No clean RTT sample is made when a SYN went again (Karn's rule; a
    // timestamp echo would time the retransmission alone, ~0 ms)
    const { batches } = await runEngine(agent, [[{ vip: V4.retry, method: 'tcp', port: PORT }]], { intervalMs: 1500, timeoutMs: 1400 });
    const records = batches.flatMap((b) => b.records);
    const sent = records.reduce((n, r) => n + r.sent, 0);
    assert.ok(sent >= 4, `probes made: ${JSON.stringify(records)}`);
    assert.equal(records.reduce((n, r) => n + r.recv, 0), sent, `every probe answered by its second SYN: ${JSON.stringify(records)}`);
    t.diagnostic(`${sent} probes, RTT ${Math.min(...records.map((r) => r.rttMin!))}-${Math.max(...records.map((r) => r.rttMax!))} ms`);
    for (const r of records) {
      // the kernel's first SYN timeout is 1 s (TCP_TIMEOUT_INIT), fired by a timer that can run late on a busy machine
      // (1,000-1,034 ms seen on a quiet one); the read comes at the 1.4 s deadline
      assert.ok(r.rttMin! >= 995 && r.rttMax! <= 1200, `the time to the handshake, not to the read: ${JSON.stringify(r)}`);
    }
  });

  it('the rate cap it is given holds: a second of burst, then that many probes a second, however many are due', async () => {
    // 4 targets every 300 ms want 13.3 probes a second; the schedule is given 4 (its share of the host's cap)
    const targets = ROTATING.slice(0, 4).map((vip) => ({ vip, method: 'icmp' }));
    const { batches, t0, stopAt } = await runEngine(agent, [targets], { maxPerSec: 4 });
    const sent = batches.flatMap((b) => b.records).reduce((n, r) => n + r.sent, 0);
    const expected = 4 + (4 * (stopAt - t0)) / 1000;
    assert.ok(Math.abs(sent - expected) <= 2, `${sent} probes sent in ${stopAt - t0} ms; the cap allows ${expected.toFixed(1)}`);
  });

  it('a stalled event loop: one probe per target after it, the slots it passed over counted late; sent + late is the plan', async (t) => {
    // 3 targets every 300 ms; the loop held for 1.6 s: the first tick after it sends each target once, and the slots
    // of [the tick before the stall, 300 ms before the one after) are passed over and counted
    const targets = ROTATING.slice(0, 3).map((vip) => ({ vip, method: 'icmp' }));
    const iv = MINUTE_MS / PER_MINUTE;
    const { batches, t0, stopAt, late, stall } = await runEngine(agent, [targets], { stallMs: 1600 });
    const records = batches.flatMap((b) => b.records);
    const sent = records.reduce((n, r) => n + r.sent, 0);
    assert.equal(records.reduce((n, r) => n + r.recv, 0), sent, 'every probe answered');
    const [from, to] = stall!;
    t.diagnostic(`stall ${to - from} ms: ${late} slots late, ${sent} probes sent in ${stopAt - t0} ms`);
    // per target at least (stall - interval - one 50 ms tick) / interval slots passed over, at most stall / interval
    assert.ok(late >= targets.length * Math.floor((to - from - iv - 50) / iv) && late <= targets.length * Math.ceil((to - from) / iv), `late: ${late}`);
    // each target has floor or ceil((stop - start) / interval) slots in the run, one fewer when its last slot came
    // within a tick of the stop; each is sent or counted late
    const planned = (stopAt - t0) / iv;
    assert.ok(sent + late >= targets.length * (Math.floor(planned) - 1) && sent + late <= targets.length * Math.ceil(planned),
      `sent ${sent} + late ${late} against ${planned.toFixed(2)} slots per target`);
  });

  it('a new task list mid-minute: the minute under way keeps the probes of a removed target, one record per target', async () => {
    const a = { vip: V4.clean, method: 'icmp' };
    const b = { vip: V6.clean, method: 'icmp' };
    const c = { vip: V4.clean, method: 'tcp', port: PORT };
    const { batches, switchAt: [switchAt], late } = await runEngine(agent, [[a, b], [b, c]]);
    const at = batches.findIndex((x) => x.start <= switchAt! && switchAt! < x.start + MINUTE_MS);
    assert.ok(at >= 0 && batches[at + 1], `the minute of the change and a whole one after it: ${JSON.stringify(batches.map((x) => x.start))}`);
    const key = (r: ResultRecord) => `${r.method} ${r.vip}`;
    const during = new Map(batches[at]!.records.map((r) => [key(r), r]));
    assert.deepEqual([...during.keys()].sort(), ['icmp 198.19.60.1', 'icmp fd00:62::1', 'tcp 198.19.60.1'], 'one record each, the removed target too');
    // half a minute each side of the change; b's phase moves with the new list, so its interval there holds 0-2 probes
    assertSent(['icmp 198.19.60.1', 'tcp 198.19.60.1'].map((k) => during.get(k)!), PER_MINUTE / 2, 1, late, 'half a minute each side');
    assertSent([during.get('icmp fd00:62::1')!], PER_MINUTE, 2, late, 'b kept counting in one record');
    for (const r of during.values()) assert.equal(r.recv, r.sent, key(r));
    const next = batches[at + 1]!.records;
    assert.deepEqual(next.map(key).sort(), ['icmp fd00:62::1', 'tcp 198.19.60.1'], 'the removed target is gone after its minute');
    assertSent(next, PER_MINUTE, 1, late, 'the whole minute after');
    for (const r of next) assert.equal(r.recv, r.sent, JSON.stringify(r));
  });

  it('a target dropped from the list gives its id to a new one only after its last minute: ids stay few, counts never mix', async () => {
    // each list: one address over ICMP (answered) and TCP to a closed port (refused), and a dead address throughout;
    // a dropped target's id goes to the next list's target of the other kind, so a mixed cell would show
    const dead = { vip: V4.dead, method: 'icmp' };
    const lists = ROTATING.slice(0, 4).map((vip) => [{ vip, method: 'icmp' }, { vip, method: 'tcp', port: PORT + 1 }, dead]);
    const { batches, switchAt, idSpace, late } = await runEngine(agent, lists);
    assert.equal(switchAt.length, lists.length - 1);
    const key = (r: { method: string; vip: string }) => `${r.method} ${r.vip}`;
    for (const [i, at] of switchAt.entries()) {
      const b = batches.find((x) => x.start <= at && at < x.start + MINUTE_MS);
      assert.ok(b, `the minute of change ${i}`);
      const got = new Map(b.records.map((r) => [key(r), r]));
      assert.equal(got.size, b.records.length, `one record per target: ${JSON.stringify(b.records)}`);
      assert.deepEqual([...got.keys()].sort(), [...new Set([...lists[i]!, ...lists[i + 1]!].map(key))].sort(), `change ${i}: the old and the new list`);
      const halves = [...lists[i]!.slice(0, 2), ...lists[i + 1]!.slice(0, 2)].map((t) => got.get(key(t))!);
      assertSent(halves, PER_MINUTE / 2, 1, late, `change ${i}: half a minute`);
      for (const r of halves) assert.equal(r.recv, r.method === 'icmp' ? r.sent : 0, `change ${i}: ${JSON.stringify(r)}`);
      assert.equal(got.get(key(dead))!.recv, 0);
    }
    // 3 ids for the first list, 2 more for the first change; then the dropped ones come back: 9 if never reused
    assert.ok(idSpace <= 5, `ids kept: ${idSpace}`);
  });

  it('lists changed several times within a minute: a dropped target\'s id waits for that minute, so counts never mix', async () => {
    // four lists half a second apart, all within one minute: the first list's ids are dropped before the third comes
    const lists = ROTATING.slice(0, 4).map((vip) => [{ vip, method: 'icmp' }, { vip, method: 'tcp', port: PORT + 1 }]);
    const { batches, switchAt, idSpace } = await runEngine(agent, lists, { everyMs: MINUTE_MS / 6 });
    const b = batches.find((x) => x.start <= switchAt[0]! && switchAt.at(-1)! < x.start + MINUTE_MS);
    assert.ok(b, `every change in one minute: ${JSON.stringify({ starts: batches.map((x) => x.start), switchAt })}`);
    const key = (r: { method: string; vip: string }) => `${r.method} ${r.vip}`;
    assert.deepEqual(b.records.map(key).sort(), lists.flat().map(key).sort(), 'one record for each target of the four lists');
    for (const r of b.records) {
      // the first list probed half of the minute, each later one half a second of it (a probe every 300 ms)
      const [lo, hi] = r.vip === ROTATING[0] ? [PER_MINUTE / 2 - 1, PER_MINUTE / 2 + 1] : [1, 3];
      assert.ok(r.sent >= lo && r.sent <= hi, `${lo}-${hi} probes: ${JSON.stringify(r)}`);
      assert.equal(r.recv, r.method === 'icmp' ? r.sent : 0, JSON.stringify(r));
    }
    assert.equal(idSpace, 8, 'no id was given again within the minute its target was dropped in');
  });
});
