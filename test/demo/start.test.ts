// The all-in-one demo end to end: `node bin/vipwatch.js start --speed 10` as a child process (real gateway,
// analyzer, alerting, web UI, and 372 real agents on the "sim" probe backend posting to the real API). The scripted
// DC outage must open a DC fault with its VIP faults, produce alert messages (outbox page and .eml files), and close
// with recovery messages; the spikes must show on the board and open no fault. The latency act that follows (a
// detour adding ~40 ms from one isp to another DC) must open a latency fault per VIP of that DC, mark the DC's
// cells slow on the board, queue their (informational) messages, and close. The same run's live board is watched in
// Chromium through the outage (test/web/board-watch.ts): no red cell from a partial minute, the banner follows the fault.
import assert from 'node:assert/strict';
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import type { FaultEpisode } from '../../core/model.js';
import { stopChild } from '../support/child.js';
import { skipUnless } from '../support/env.js';
import { checkBanner, checkRedCells, watchBoard, type BoardWatch } from '../web/board-watch.js';
import { freePort, waitFor } from '../support/ports.js';
import { login } from '../web/harness.js';

const ROOT = new URL('../..', import.meta.url).pathname;
const SPEED = 10;

interface FleetLog {
  epoch: string;
  minuteSec: number;
  incident: { dc: string; isps: string[]; vips: number; start: string; end: string };
  detour: { dc: string; isps: string[]; vips: number; addMs: number; start: string; end: string };
  spikes: Array<{ minute: number; group: string; at: string }>;
}

const rowsOf = (page: string, kind: string): string[] =>
  [...page.matchAll(/<tr data-delivery="[^"]*" data-kind="([a-z]+)" data-status="([a-z]+)">([\s\S]*?)<\/tr>/g)]
    .filter((m) => m[1] === kind).map((m) => m[3]!);

test('vipwatch start: the scripted DC outage is detected, alerted and closed; spikes open no fault; the latency act is seen', { timeout: 240_000 }, async (t) => {
  const dir = mkdtempSync(join(tmpdir(), 'vipwatch-demo-'));
  const port = await freePort();
  const url = `http://127.0.0.1:${port}`;
  const env = Object.fromEntries(Object.entries(process.env).filter(([k]) => !k.startsWith('VIPWATCH_')));
  const spawned = Date.now();
  const child = spawn(process.execPath, ['bin/vipwatch.js', 'start', '--speed', String(SPEED)], {
    cwd: ROOT, env: { ...env, PORT: String(port), DATA_DIR: dir }, stdio: ['ignore', 'pipe', 'pipe'],
  });
  t.after(async () => {
    await stopChild(child);
    rmSync(dir, { recursive: true, force: true });
  });
  let out = '';
  let err = '';
  child.stdout!.on('data', (c: Buffer) => { out += c.toString(); });
  child.stderr!.on('data', (c: Buffer) => { err += c.toString(); });

  await waitFor(async () => out.includes('Stop        Ctrl-C'), 60_000, 'the quick-start text on stdout');
  const fleet = JSON.parse(err.split('\n').find((l) => l.includes('"simulated fleet started"'))!) as FleetLog;
  const inc = fleet.incident;
  assert.equal(fleet.minuteSec, 60 / SPEED);
  assert.match(out, new RegExp(`Web UI +${url}/board`));
  assert.match(out, new RegExp(`log in as admin with the password in ${dir}/web-admin-password`));
  assert.match(out, /Simulated +372 agents \(probe backend "sim"/);
  assert.match(out, new RegExp(`scripted DC outage: .* DC ${inc.dc} \\(${inc.vips} VIPs\\)`));

  const session = await login(url, 'admin', readFileSync(join(dir, 'web-admin-password'), 'utf8').trim());
  const get = async (path: string): Promise<string> => {
    const res = await fetch(`${url}${path}`, { headers: { Cookie: session.cookie } });
    assert.equal(res.status, 200, path);
    return res.text();
  };
  const faults = async (): Promise<FaultEpisode[]> => (await (await fetch(`${url}/api/v1/faults?status=all`)).json()) as FaultEpisode[];
  const dcId = `dc:${inc.dc}`;
  let exit: string | null = null;
  child.once('exit', (code, sig) => { exit = `exited (${code ?? sig})`; });
  // the live board in Chromium through the outage, beside the API checks below (settled, so a failure waits its turn)
  const board: Promise<{ w?: BoardWatch; e?: Error }> | null = skipUnless(t, { commands: ['chromium'] }) ? null
    : watchBoard({ url, dir, dcId, deadline: spawned + 150_000, alive: () => exit }).then((w) => ({ w }), (e: Error) => ({ e }));
  const det = fleet.detour;
  assert.match(out, new RegExp(`scripted routing detour: .* isps ${det.isps.join(', ')} to DC ${det.dc} \\(${det.vips} VIPs\\) take ${det.addMs} ms longer`));
  const slowCells = det.isps.map((i) => `dc:${det.dc}/${i}`);
  const seen: Record<'detected' | 'alerted' | 'closed' | 'recovered' | 'slowOnBoard', number | null> = { detected: null, alerted: null, closed: null, recovered: null, slowOnBoard: null };
  let last: FaultEpisode[] = [];
  // one bounded poll loop notes when each step first shows through the public API and the outbox page
  await waitFor(async () => {
    last = await faults();
    const dc = last.find((f) => f.id === dcId);
    const now = Date.now();
    if (dc && seen.detected === null) seen.detected = now;
    if (dc?.end && seen.closed === null) seen.closed = now;
    if (dc) {
      const page = await get('/outbox');
      if (seen.alerted === null && rowsOf(page, 'open').some((r) => r.includes(`DC fault ${inc.dc}`))) seen.alerted = Date.now();
      if (seen.recovered === null && rowsOf(page, 'recovery').some((r) => r.includes(`DC fault ${inc.dc}`))) seen.recovered = Date.now();
      // the messages are committed first and delivered just after: wait until every one of them is sent
      if (seen.recovered !== null && seen.closed !== null) {
        const dcRows = (kind: string) => rowsOf(page, kind).filter((r) => r.includes(`DC fault ${inc.dc}`));
        return dcRows('recovery').length === dcRows('open').length && [...dcRows('open'), ...dcRows('recovery')].every((r) => r.includes('badge closed">sent'));
      }
    }
    return false;
  }, 100_000 - (Date.now() - spawned), 'the DC fault to open, alert, close and send its recovery messages').catch((e: Error) => {
    const rel = (ms: number | null) => (ms === null ? 'not yet' : `${((ms - Date.parse(inc.start)) / 1000).toFixed(1)} s`);
    const dc = last.find((f) => f.id === dcId);
    throw new Error(`${e.message}; from the incident start (${((Date.parse(inc.start) - spawned) / 1000).toFixed(1)} s after the spawn): `
      + `detected ${rel(seen.detected)}, alerted ${rel(seen.alerted)}, closed ${rel(seen.closed)}, recovery queued ${rel(seen.recovered)}; `
      + `the DC fault: ${dc ? JSON.stringify({ start: dc.start, detectedAt: dc.detectedAt, end: dc.end }) : 'none'}; stderr tail: ${err.slice(-600)}`);
  });

  // the latency act: its VIP latency faults open (the board's DC view marks the detoured cells slow) and close
  let latency: FaultEpisode[] = [];
  await waitFor(async () => {
    if (seen.slowOnBoard === null) {
      const board = await get('/board');
      if (slowCells.some((k) => new RegExp(`<td class="cell lv-[a-z]+ slow" data-key="${k}"`).test(board))) seen.slowOnBoard = Date.now();
    }
    latency = (await (await fetch(`${url}/api/v1/faults?status=all&signal=latency`)).json()) as FaultEpisode[];
    return latency.length >= det.vips && latency.every((f) => f.end !== null) && seen.slowOnBoard !== null;
  }, 160_000 - (Date.now() - spawned), 'the latency act to open and close its latency faults and show slow cells on the board').catch((e: Error) => {
    // what had shown by then, timed from the detour's start, so that a run that fails says which step was late
    const relMs = (ms: number) => `${((ms - Date.parse(det.start)) / 1000).toFixed(1)} s`;
    const rel = (iso: string | null | undefined) => (iso ? relMs(Date.parse(iso)) : 'none');
    throw new Error(`${e.message}; detour ${det.start} to ${det.end} (${((Date.parse(det.start) - spawned) / 1000).toFixed(1)} s after the spawn), `
      + `now ${relMs(Date.now())}; ${latency.length} of ${det.vips} latency faults, ${latency.filter((f) => f.end !== null).length} closed `
      + `(first detected ${rel(latency.map((f) => f.detectedAt).sort()[0])}, last closed ${rel(latency.map((f) => f.end ?? '').sort().at(-1))}); `
      + `slow cells on the board ${seen.slowOnBoard === null ? 'never seen' : `seen at ${relMs(seen.slowOnBoard)}`}; stderr tail: ${err.slice(-600)}`);
  });

  const start = Date.parse(inc.start);
  const sec = (ms: number | null) => ((ms! - start) / 1000).toFixed(1);
  console.log(`demo at speed ${SPEED} (a minute is ${fleet.minuteSec} s): process start -> incident start ${((start - spawned) / 1000).toFixed(1)} s; ` +
    `from incident start: detected ${sec(seen.detected)} s, alerted ${sec(seen.alerted)} s, closed ${sec(seen.closed)} s, recovery message ${sec(seen.recovered)} s; `
    + `latency act seen whole ${((Date.now() - spawned) / 1000).toFixed(1)} s after the spawn (allowed: 160 s)`);

  await t.test('the DC fault has every VIP of the DC as a child, scoped to the outage isps', () => {
    const dc = last.find((f) => f.id === dcId)!;
    assert.deepEqual(dc.isps, [...inc.isps].sort());
    assert.equal(dc.parent, null);
    assert.equal(dc.vips.length, inc.vips);
    const children = last.filter((f) => f.parent === dcId);
    assert.deepEqual(children.map((f) => f.key).sort(), [...dc.vips].sort());
    assert.ok(children.every((f) => f.type === 'vip' && f.end !== null));
    assert.equal(dc.start, inc.start.replace('.000Z', 'Z'), 'the episode starts at the first minute of the outage');
  });

  await t.test('no other loss fault opened: the spikes passed the smoothing', async () => {
    const loss = (await (await fetch(`${url}/api/v1/faults?status=all&signal=loss`)).json()) as FaultEpisode[];
    const others = loss.filter((f) => f.id !== dcId && f.parent !== dcId);
    assert.deepEqual(others.map((f) => f.id), []);
    assert.ok(loss.every((f) => f.signal === 'loss'));
  });

  await t.test('the latency act: one latency fault per VIP of the detoured DC, slow from its isps only, informational messages queued', async () => {
    const dcVips = last.filter((f) => f.id === dcId)[0]!; // (the outage DC, for contrast: its faults are loss faults)
    assert.ok(dcVips.signal === 'loss');
    assert.deepEqual(latency.map((f) => f.type), latency.map(() => 'vip'));
    assert.equal(latency.length, det.vips);
    for (const f of latency) {
      assert.equal(f.id, `vip:${f.key}:latency`);
      assert.deepEqual([f.dcs, f.isps, f.parent, f.signal], [[det.dc], [...det.isps].sort(), null, 'latency']);
    }
    const page = await get('/faults?signal=latency');
    assert.ok(latency.every((f) => page.includes(f.key)), 'the faults page lists them under the latency filter');
    assert.match(page, /badge slow/);
    const outbox = await get('/outbox');
    const rows = rowsOf(outbox, 'open').filter((r) => r.includes('VIP latency fault'));
    assert.ok(rows.length >= det.vips, `${rows.length} latency messages in the outbox`);
    assert.ok(rows.every((r) => r.includes('informational')), 'latency VIP faults are informational by default');
  });

  await t.test('the spikes reached the board: every spiking group had a bad minute, and no healthy group did', async () => {
    const board = await get('/board');
    const bad = new Set([...board.matchAll(/<td class="cell lv-[a-z]+(?: slow)?(?: partial)?" data-key="([^"]+)"[^>]*>[\s\S]*?<div class="strip">([\s\S]*?)<\/div><\/td>/g)]
      .filter((m) => m[2]!.includes('lv-bad')).map((m) => m[1]!));
    const now = Date.now();
    const due = fleet.spikes.filter((s) => Date.parse(s.at) + 2 * fleet.minuteSec * 1000 < now);
    assert.ok(due.length >= 1, `at least one spike in the run (schedule: ${JSON.stringify(fleet.spikes.slice(0, 4))})`);
    for (const s of due) assert.ok(bad.has(s.group), `spike ${s.group} at ${s.at} shows as a bad minute on the board`);
    const scheduled = new Set(fleet.spikes.filter((s) => Date.parse(s.at) < now).map((s) => s.group));
    // a group of the outage isps loses ~16% in the outage; agents that only started during the outage's first
    // minute report part of it, which can tip the group's share of lost probes over the 20% "bad" line
    const healthy = [...bad].filter((g) => !scheduled.has(g) && !inc.isps.includes(g.split('/')[1]!));
    assert.deepEqual(healthy, [], 'only spiking groups (or the outage isps) have bad minutes');
  });

  await t.test('alert and recovery messages: one per audience, on the outbox page and as .eml files', async () => {
    const page = await get('/outbox');
    const opens = rowsOf(page, 'open').filter((r) => r.includes(`DC fault ${inc.dc}`));
    const recoveries = rowsOf(page, 'recovery').filter((r) => r.includes(`DC fault ${inc.dc}`));
    // every business owning a VIP of the DC, plus the network team
    assert.ok(opens.length >= 2, `${opens.length} open messages`);
    assert.equal(recoveries.length, opens.length);
    assert.ok(opens.some((r) => r.includes('network-team@localhost')));
    assert.ok([...opens, ...recoveries].every((r) => r.includes('<code>eml</code>') && r.includes('badge closed">sent')));
    const files = readdirSync(join(dir, 'mail'));
    assert.equal(files.filter((f) => f.includes('-open-dc-')).length, opens.length);
    assert.equal(files.filter((f) => f.includes('-recovery-dc-')).length, recoveries.length);
    assert.match(await get('/board'), /<a href="\/outbox" class="">Outbox<\/a>/);
  });

  if (board) {
    const { w, e } = await board;
    if (e) throw e;
    assert.ok(w!.samples.some((s) => s.closed), `the board watch saw the DC fault ${dcId} close (${w!.samples.length} samples)`);
    assert.ok(w!.shot, 'the screenshots were taken while the fault was open');
    assert.deepEqual(w!.errors, [], 'no script errors on the board');
    t.diagnostic(`board: ${w!.samples.length} samples over ${((w!.samples.at(-1)!.at - w!.samples[0]!.at) / 1000).toFixed(0)} s, ${w!.failedFetches} API reads retried`);
    await t.test('the board\'s banner names the DC fault while it is open and goes once it has closed', () => checkBanner(w!.samples, inc.dc));
    await t.test('no red cell from a partial minute: every red cell is a complete minute that is bad in the store', (s) => {
      const n = checkRedCells(w!.samples, join(dir, 'series.db'));
      s.diagnostic(`${n} distinct red (cell, minute) pairs checked against the store`);
      assert.ok(n > 0, 'the outage drew red cells (the by-DC row at least)');
    });
  }
});
