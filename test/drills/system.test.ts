// The drills of the whole system (issue 9), on one running system of real processes (see system.ts), in order:
// the end-to-end fault drill (a VIP DC broken with nftables -> DC fault alerted by SMTP -> rules removed -> recovery
// alerted), with the analyzer killed and restarted while the fault is open; then the gateway killed while the agents
// run; then InfluxDB killed under load. Each step prints its figures (records sent/accepted/stored, alerts
// expected/received). A crashed process fails the drill at once (CrashWatch); every wait has a limit.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { isoTime } from '../../analyzer/engine/episodes.js';
import { skipUnless } from '../support/env.js';
import { describeCounts, ingestProblems } from './accounting.js';
import { checkMail, expectedForDc, kindOf } from './mail.js';
import { metricValue } from './procs.js';
import { ALL_VIPS, completeness, intoNextMinute, lateSlots, MINUTE_MS, minuteOf, startSystem, VIP_DCS, type DrillSystem } from './system.js';

const BROKEN = VIP_DCS[0];
const BROKEN_VIPS = BROKEN.vips.map(([ip]) => ip as string);

const figures = (t: { diagnostic(m: string): void }, line: string) => t.diagnostic(line);

async function metric(url: string, name: string, labels: Record<string, string> = {}): Promise<number> {
  const res = await fetch(`${url}/metrics`, { signal: AbortSignal.timeout(3000) });
  return metricValue(await res.text(), name, labels);
}

/** Each agent's count of result posts answered with `status` ("error": no answer). */
const agentPosts = async (sys: DrillSystem, status: string): Promise<number[]> =>
  (await Promise.all(sys.agents.map((a) => sys.agentMetrics(a)))).map((text) => metricValue(text, 'vipwatch_agent_result_posts_total', { status }));
const sum = (xs: number[]): number => xs.reduce((s, x) => s + x, 0);

/** Waits until the agents' spools are empty and the minute before the current one has been posted and stored. */
async function settle(sys: DrillSystem, what: string): Promise<number> {
  await sys.watch.until(async () => sys.spooled() === 0, 40_000, `the agents' spools to drain (${what})`);
  // a minute is posted about timeoutMs (1 s) after it ends; 2.5 s into the next one it is stored
  await intoNextMinute(sys.watch, 2500);
  await sys.watch.until(async () => sys.spooled() === 0, 20_000, `the agents' spools to drain (${what})`);
  return minuteOf(Date.now());
}

/** Every record sent was accepted once and is stored once: prints the counts, fails on any difference. */
async function checkIngest(s: { diagnostic(m: string): void }, sys: DrillSystem, extraSent: number, what: string): Promise<void> {
  const counts = await sys.ingestCounts(extraSent);
  figures(s, `ingest since the start (${what}): ${describeCounts(counts)}`);
  assert.deepEqual(ingestProblems(counts), [], describeCounts(counts));
}

/** Gaps between consecutive committed minutes that are not one minute: a minute skipped (> 1) or repeated (<= 0). */
const commitGaps = (minutes: number[]): string[] => minutes.slice(1).flatMap((m, i) =>
  (m - minutes[i]! === MINUTE_MS ? [] : [`${isoTime(minutes[i]!)} then ${isoTime(m)}`]));

test('drills: the whole system under faults and failures', { timeout: 9 * 60_000 }, async (t) => {
  if (skipUnless(t, { root: true, commands: ['ip', 'nft', 'influxd'] })) return;
  const started = Date.now();
  const sys = await startSystem(t);
  const { watch } = sys;
  const firstFull = minuteOf(Date.now()) + MINUTE_MS;
  figures(t, `system up in ${((Date.now() - started) / 1000).toFixed(1)} s: gateway, analyzer, ${sys.agents.length} agents in their own namespaces, `
    + `${ALL_VIPS.length} VIPs in ${VIP_DCS.length} DCs, minute ${MINUTE_MS / 1000} s`);
  // two complete minutes from every host before anything breaks
  await watch.until(async () => completeness(sys, await sys.records(firstFull, firstFull + 2 * MINUTE_MS), firstFull, firstFull + 2 * MINUTE_MS, await lateSlots(sys)).length === 0,
    6 * MINUTE_MS, 'two complete minutes from every agent');
  const mail = sys.smtp.received;
  assert.equal(mail.length, 0, 'no alert while everything answers');

  let openAt = 0; // set once the DC fault's alert arrived: the next two steps need the open fault
  await t.test(`end-to-end: DC ${BROKEN.id} broken with nftables is alerted by SMTP to its businesses' owners and the network team`, async (s) => {
    const expected = expectedForDc(BROKEN);
    const brokeAt = Date.now();
    sys.dropTo(BROKEN_VIPS);
    await watch.until(async () => mail.filter((m) => kindOf(m) === 'open').length >= expected.length, 40 * MINUTE_MS, 'the DC fault alert');
    const alertedAt = Date.now();
    await watch.sleep(2 * MINUTE_MS); // a wrong extra message (a VIP fault alerted on its own, a duplicate) would show here
    figures(s, `DC ${BROKEN.id} broken: alerts expected ${expected.length}, received ${mail.length} `
      + `(${mail.map((m) => m.to.join('+')).join(', ')}), ${((alertedAt - brokeAt) / 1000).toFixed(1)} s after the break`);
    assert.deepEqual(checkMail(mail, 'open', BROKEN.id, expected), []);
    assert.equal(mail.length, expected.length);
    const events = await sys.series.faultEvents(brokeAt - MINUTE_MS, Date.now());
    assert.ok(events.some((e) => e.event === 'open' && e.id === `dc:${BROKEN.id}`), `board annotation for the DC fault (${events.map((e) => `${e.event} ${e.id}`).join(', ')})`);
    openAt = alertedAt;
  });

  let restarted = false;
  await t.test('analyzer killed (SIGKILL) while the fault is open, restarted 2 minutes later: resumes after its checkpoint', async (s) => {
    if (!openAt) return s.skip('the DC fault never opened');
    await intoNextMinute(watch, 2300); // just after the grace period: the analyzer is evaluating, or has just committed
    await sys.analyzer.kill('SIGKILL');
    const checkpoint = sys.checkpoint();
    const commitsAtKill = sys.committedMinutes().length;
    await watch.sleep(2 * MINUTE_MS);
    await sys.startAnalyzer();
    await watch.until(async () => sys.committedMinutes().length >= commitsAtKill + 3, 8 * MINUTE_MS, 'the restarted analyzer to commit 3 minutes');
    const after = sys.committedMinutes().slice(commitsAtKill);
    figures(s, `fault store: ${commitsAtKill} minutes committed before the kill, checkpoint ${checkpoint === null ? 'none' : isoTime(checkpoint)}; `
      + `the restarted analyzer committed ${isoTime(after[0]!)} first`);
    assert.ok(checkpoint !== null, 'the analyzer had committed minutes before the kill');
    assert.equal(after[0], checkpoint + MINUTE_MS, 'the restart commits the minute after the stored checkpoint first');
    assert.equal(mail.length, expectedForDc(BROKEN).length, 'the restart sends nothing again');
    restarted = true;
  });

  await t.test('end-to-end: rules removed, recovery alerted to the same recipients, no alert repeated', async (s) => {
    if (!openAt) {
      sys.dropTo([]);
      return s.skip('the DC fault never opened');
    }
    const expected = expectedForDc(BROKEN);
    const healedAt = Date.now();
    sys.dropTo([]);
    await watch.until(async () => mail.filter((m) => kindOf(m) === 'recovery').length >= expected.length, 40 * MINUTE_MS, 'the recovery messages');
    const recoveredAt = Date.now();
    await watch.sleep(2 * MINUTE_MS);
    // every minute since the start, through the break, the analyzer's restart and the recovery
    const until = minuteOf(Date.now() - 2500);
    const records = await sys.records(firstFull, until);
    const expectedRecords = sys.agents.length * ALL_VIPS.length * ((until - firstFull) / MINUTE_MS);
    const lost = records.filter((r) => BROKEN_VIPS.includes(r.vip) && r.recv === 0).length;
    figures(s, `rules removed: recovery alerts expected ${expected.length}, received ${mail.filter((m) => kindOf(m) === 'recovery').length}, `
      + `${((recoveredAt - healedAt) / 1000).toFixed(1)} s after; all alerts expected ${2 * expected.length}, received ${mail.length}; `
      + `records expected ${expectedRecords}, stored ${records.length} over ${(until - firstFull) / MINUTE_MS} minutes (${lost} of them with every probe to ${BROKEN.id} lost)`);
    assert.deepEqual(completeness(sys, records, firstFull, until, await lateSlots(sys)), []);
    assert.equal(records.length, expectedRecords);
    assert.deepEqual(checkMail(mail, 'recovery', BROKEN.id, expected), []);
    assert.equal(mail.length, 2 * expected.length, 'open + recovery, nothing repeated');
    assert.equal(new Set(mail.map((m) => m.headers.get('x-vipwatch-id'))).size, mail.length, 'every message id once');
    const events = await sys.series.faultEvents(openAt - 10 * MINUTE_MS, Date.now());
    assert.ok(events.some((e) => e.event === 'close' && e.id === `dc:${BROKEN.id}`), 'board annotation for the close');
    await checkIngest(s, sys, 0, 'before the outages');
  });

  await t.test('gateway killed (SIGKILL) for 3 minutes while agents run: they spool, every record delivered and stored exactly once', async (s) => {
    await intoNextMinute(watch, 2500); // away from the minute's posts
    const errorsBefore = sum(await agentPosts(sys, 'error'));
    await sys.killGateway();
    const downAt = Date.now();
    await watch.sleep(3 * MINUTE_MS);
    const spooledWhileDown = sys.spooled();
    await sys.startGateway();
    const upAt = Date.now();
    const until = await settle(sys, 'after the gateway restart');
    const from = minuteOf(downAt) - 2 * MINUTE_MS;
    const records = await sys.records(from, until);
    const expected = sys.agents.length * ALL_VIPS.length * ((until - from) / MINUTE_MS);
    const failedPosts = sum(await agentPosts(sys, 'error')) - errorsBefore;
    const late = await lateSlots(sys);
    figures(s, `gateway down ${((upAt - downAt) / 1000).toFixed(1)} s: ${spooledWhileDown} batches spooled, ${failedPosts} failed posts; `
      + `records expected ${expected}, stored ${records.length} over ${(until - from) / MINUTE_MS} minutes; `
      + `probe slots the agents passed over after stalls since they started: ${sum([...late.values()])}`);
    assert.ok(spooledWhileDown >= sys.agents.length * 2, `the agents spooled while the gateway was down (${spooledWhileDown})`);
    assert.ok(failedPosts >= sys.agents.length, `posts failed while it was down (${failedPosts})`);
    assert.deepEqual(completeness(sys, records, from, until, late), []);
    assert.equal(records.length, expected);
    await checkIngest(s, sys, 0, 'after the gateway outage');
  });

  let loadAcked = 0;
  await t.test('InfluxDB killed (SIGKILL) and restarted under load: posts get 503, nothing acknowledged is lost', async (s) => {
    // load: the test posts old minutes (two hours back, never read by the analyzer) for the agent hosts, 4 at a time
    const base = minuteOf(Date.now()) - 2 * 3_600_000;
    const acked = new Set<string>();
    let posts = 0, refused = 0, next = 0, stop = false;
    const statuses = new Map<number, number>();
    const loop = async () => {
      // bounded: at most 2,000 batches per loop, each at most 200 attempts
      for (let batch = 0; batch < 2000 && !stop; batch++) {
        const i = next++;
        const host = sys.agents[i % sys.agents.length]!.host;
        const ts = isoTime(base + Math.floor(i / sys.agents.length) * MINUTE_MS);
        const results = ALL_VIPS.map((vip) => ({ ts, host, vip, method: 'icmp', sent: 10, recv: 10, rttMin: 1, rttAvg: 1.5, rttMax: 2 }));
        for (let attempt = 0; ; attempt++) {
          assert.ok(attempt < 200, `${host} ${ts}: still refused after 200 attempts`);
          watch.check();
          const res = await fetch(`${sys.gatewayUrl}/api/v1/results`, {
            method: 'POST', headers: { 'content-type': 'application/json', authorization: `Bearer ${sys.token(host)}` },
            body: JSON.stringify({ host, results }), signal: AbortSignal.timeout(15_000),
          });
          const body = await res.text();
          posts++;
          statuses.set(res.status, (statuses.get(res.status) ?? 0) + 1);
          if (res.status === 200) {
            assert.deepEqual(JSON.parse(body), { accepted: results.length });
            for (const r of results) acked.add(`${r.host}|${r.vip}|${r.ts}`);
            break;
          }
          assert.equal(res.status, 503, body);
          assert.match(res.headers.get('retry-after') ?? '', /^\d+$/, 'a 503 carries Retry-After');
          refused++;
          await watch.sleep(200);
        }
      }
    };
    const agent503Before = await agentPosts(sys, '503');
    const loops = Array.from({ length: 4 }, loop);
    let ackedBeforeKill = 0, downAt = 0, upAt = 0;
    try {
      await watch.sleep(1500);
      ackedBeforeKill = acked.size;
      await sys.influxd.kill();
      downAt = Date.now();
      await watch.until(async () => refused >= 4, 20_000, 'posts refused with 503');
      await watch.sleep(Math.max(0, downAt + 2 * MINUTE_MS - Date.now()));
      await sys.influxd.restart();
      upAt = Date.now();
      await watch.sleep(2000);
    } finally {
      stop = true;
      await Promise.allSettled(loops);
    }
    await Promise.all(loops);
    const until = await settle(sys, 'after the InfluxDB restart');
    const agent503 = (await agentPosts(sys, '503')).map((n, i) => n - agent503Before[i]!);

    const load = await sys.records(base, base + 3_600_000);
    const storedKeys = new Set(load.map((r) => `${r.host}|${r.vip}|${r.ts}`));
    const lost = [...acked].filter((k) => !storedKeys.has(k));
    const from = minuteOf(downAt) - MINUTE_MS;
    const live = await sys.records(from, until);
    const expectedLive = sys.agents.length * ALL_VIPS.length * ((until - from) / MINUTE_MS);
    figures(s, `InfluxDB down ${((upAt - downAt) / 1000).toFixed(1)} s under load: ${posts} load posts (${[...statuses].map(([k, v]) => `${v}x${k}`).join(', ')}), `
      + `agents' posts answered 503: ${sum(agent503)} (${agent503.join('/')} per agent); load records acknowledged ${acked.size} (${ackedBeforeKill} before the kill), stored ${load.length}, lost ${lost.length}; `
      + `agent records expected ${expectedLive}, stored ${live.length}`);
    assert.ok(refused >= 4, `load posts answered 503 while InfluxDB was down (${refused})`);
    assert.ok(agent503.every((n) => n >= 1), `every agent got a 503 and kept its batch (${agent503.join('/')})`);
    assert.deepEqual(lost, []);
    assert.equal(load.length, acked.size, 'every load record stored once');
    assert.deepEqual(completeness(sys, live, from, until, await lateSlots(sys)), []);
    assert.equal(live.length, expectedLive);
    loadAcked = acked.size;
    await checkIngest(s, sys, loadAcked, 'after the InfluxDB outage');
  });

  await t.test('analyzer: every minute committed exactly once across its kill and the InfluxDB outage (fault store); no alert repeated', async (s) => {
    if (!restarted) return s.skip('the analyzer was not killed and restarted');
    // the analyzer needs grace + a retry to catch up after the outage
    const due = minuteOf(Date.now()) - 2 * MINUTE_MS;
    await watch.until(async () => (sys.committedMinutes().at(-1) ?? 0) >= due, 8 * MINUTE_MS, 'the analyzer to catch up');
    const minutes = sys.committedMinutes();
    const failed = await metric(sys.analyzerUrl, 'vipwatch_analyzer_failures_total');
    figures(s, `fault store: ${minutes.length} minutes committed (${isoTime(minutes[0]!)} .. ${isoTime(minutes.at(-1)!)}), checkpoint ${isoTime(sys.checkpoint()!)}; `
      + `${failed} minute attempts failed while InfluxDB was down (analyzer /metrics); alerts received ${mail.length} (expected ${2 * expectedForDc(BROKEN).length})`);
    assert.deepEqual(commitGaps(minutes), [], 'no minute skipped or repeated');
    assert.equal(sys.checkpoint(), minutes.at(-1), 'the checkpoint is the last committed minute');
    assert.ok(failed >= 1, 'the analyzer met the InfluxDB outage');
    assert.equal(mail.length, 2 * expectedForDc(BROKEN).length, 'no alert from the outages, none repeated');
    watch.check();
    for (const [i, p] of sys.agents.entries()) assert.ok(p.proc.alive(), `agent ${i} still running`);
    assert.ok(sys.gateway.alive() && sys.analyzer.alive(), 'gateway and analyzer still running');
    await checkIngest(s, sys, loadAcked, 'at the end');
  });
  figures(t, `drill finished in ${((Date.now() - started) / 1000).toFixed(0)} s`);
});
