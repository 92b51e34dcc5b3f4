// The path drill (world in path-drill.ts): real agents in network namespaces, real ICMP, real routers.
// Loss half: cutting r2 -> r3 (nftables, forward chain of r2) makes the ct paths lose everything: the analyzer opens
// the fault, path capture sends traceroutes from the ct sources (inside) and cm sources (outside), and the diagnosis
// must name r2 as the last answering hop while the cm paths reach the VIP; the follow-up reaches the SMTP server.
// Latency half: r2 -> r3 runs through a delaying wire (test/support/delay-wire.py); after healthy minutes build
// each cell's baseline, the wire holds r2 -> r3 frames for DELAY_MS: the analyzer opens a latency fault, and the
// diagnosis must name r2 as the hop after which the ct paths turn slow (hops 1-2 fast, r3 and the VIP +DELAY_MS).
// Both print the times.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import type { Diagnosis } from '../../core/diagnosis.js';
import { skipUnless } from '../support/env.js';
import { breakAfter } from '../probes/chain.js';
import { awaitDiagnosis, MINUTE_SEC, R2, R3_FROM_R2, R3_FROM_R4, startPathDrill, timesLine } from './path-drill.js';

test('path drill: r2 -> r3 cut; the diagnosis names r2 for the ct paths, the cm paths reach the VIP; follow-up mailed', { timeout: 180_000 }, async (t) => {
  if (skipUnless(t, { root: true, commands: ['ip', 'nft', 'sysctl'] })) return;
  const d = await startPathDrill(t, { prefix: 'vwp', delayed: false });
  // healthy minutes first (the analyzer needs records before the cut), then the cut
  await new Promise((r) => setTimeout(r, 3 * MINUTE_SEC * 1000));
  const tCut = Date.now();
  breakAfter(d.r2, d.r2Down);
  const tl = await awaitDiagnosis(d, () => true, 120_000);
  const fault = tl.fault;
  assert.ok(fault, `a root fault with a diagnosis within 120 s of the cut: ${JSON.stringify(await d.roots())}`);
  const diag = fault.diagnosis as Diagnosis;
  console.log(`# diagnosis of ${fault.id}: ${diag.text}`);
  console.log(`# ${timesLine('the cut', tCut, tl, diag)}`);

  assert.equal(fault.isps.join(), 'ct');
  assert.equal(diag.kind, 'stop');
  assert.equal(diag.hop?.ip, R2, 'r2 (its address towards the ct sources) is the last answering hop');
  assert.equal(diag.hop?.ttl, 2);
  assert.match(diag.text, /^paths from ct stop after 198\.18\.20\.2 \(hop 2\); paths from cm reach the VIP/);
  const inside = diag.paths.filter((p) => p.side === 'inside');
  const outside = diag.paths.filter((p) => p.side === 'outside');
  assert.ok(inside.length >= 3 && inside.every((p) => p.isp === 'ct' && !p.reached), `3 ct paths that stop: ${JSON.stringify(diag.paths)}`);
  for (const p of inside) assert.deepEqual(p.hops.slice(0, 2).map((h) => h.ip), [`198.18.${d.sources.find((x) => x.host === p.host)!.net}.1`, R2]);
  assert.ok(outside.length >= 2 && outside.every((p) => p.isp === 'cm' && p.reached));
  for (const p of outside) assert.deepEqual(p.hops.slice(1).map((h) => h.ip), [R3_FROM_R4, p.target], JSON.stringify(p.hops));
  assert.ok(tl.tMail > 0, 'the follow-up reached the SMTP server');
  assert.ok(d.diagnosisMail()!.decoded.includes('paths from ct stop after 198.18.20.2 (hop 2)'), d.diagnosisMail()!.decoded);
});

// small latency rules so the drill is short: 3-minute smoothing (slow in 2 of 3), a baseline from 2 minutes
const RULES = { smoothWindow: 3, smoothNeed: 2, baselineMinSamples: 2, baselineMinutes: 10, latencyMinDeltaMs: 40 };
const DELAY_MS = 100;
const fastest = (rtt: number[]) => Math.min(...rtt);

test(`path drill: r2 -> r3 delayed ${DELAY_MS} ms; the latency diagnosis names r2 as the hop after which the ct paths turn slow; follow-up mailed`, { timeout: 180_000 }, async (t) => {
  if (skipUnless(t, { root: true, commands: ['ip', 'sysctl', 'python3'] })) return;
  const d = await startPathDrill(t, { prefix: 'vwl', delayed: true, config: { analyzer: { rules: RULES } } });
  // healthy minutes: a minute enters a cell's baseline when it leaves the smoothing window, so the baseline has
  // baselineMinSamples minutes once smoothWindow + baselineMinSamples full minutes have passed (+1 partial, +1 spare)
  await new Promise((r) => setTimeout(r, (RULES.smoothWindow + RULES.baselineMinSamples + 2) * MINUTE_SEC * 1000));
  assert.deepEqual(await d.roots(), [], 'no fault while the paths are healthy');
  const tDelay = Date.now();
  await d.delay!.setDelay(DELAY_MS, 0);
  const tl = await awaitDiagnosis(d, (f) => f.signal === 'latency', 90_000);
  const fault = tl.fault;
  assert.ok(fault, `a root latency fault with a diagnosis within 90 s of the delay: ${JSON.stringify(await d.roots())}`);
  const diag = fault.diagnosis as Diagnosis;
  console.log(`# diagnosis of ${fault.id}: ${diag.text}`);
  console.log(`# ${timesLine(`the ${DELAY_MS} ms delay`, tDelay, tl, diag)}`);
  for (const p of diag.paths.filter((x) => x.target === diag.paths[0]!.target)) console.log(`#   ${p.side} ${p.host} -> ${p.target}: ${p.hops.map((h) => `${h.ip ?? '*'} ${h.rtt.length ? fastest(h.rtt).toFixed(1) : '-'}`).join(' | ')}`);

  assert.equal(fault.isps.join(), 'ct');
  assert.equal(diag.kind, 'slow');
  assert.equal(diag.hop?.ip, R2, 'r2 (its address towards the ct sources) is the last hop before the RTT jump');
  assert.equal(diag.hop?.ttl, 2);
  assert.match(diag.text, /^paths from ct turn slow after 198\.18\.20\.2 \(hop 2\): \+\d+ ms; paths from cm reach the VIP/);
  const step = Number(/\+(\d+) ms/.exec(diag.text)![1]);
  assert.ok(step >= DELAY_MS * 0.8 && step <= DELAY_MS * 1.5, `the step is about the delay: ${step} ms`);
  const inside = diag.paths.filter((p) => p.side === 'inside');
  const outside = diag.paths.filter((p) => p.side === 'outside');
  // the inside hosts are those of the fault's provinces when it opened: a third of ct's provinces is enough for an isp
  // fault, and a source whose probes of the delay's first minute mostly left before it turns slow a minute later (a
  // fresh clone's CI saw 2 of the 3 once), so at least one, each reaching the VIP
  assert.ok(inside.length >= 1 && inside.every((p) => p.isp === 'ct' && p.reached), `ct paths that reach the VIP: ${JSON.stringify(inside)}`);
  for (const p of inside) {
    const src = d.sources.find((x) => x.host === p.host)!;
    assert.deepEqual(p.hops.map((h) => h.ip), [`198.18.${src.net}.1`, R2, R3_FROM_R2, p.target], JSON.stringify(p.hops));
    const [h1, h2, h3, h4] = p.hops.map((h) => fastest(h.rtt));
    // up to r2 the RTT stays near zero; from r3 on it carries the delay
    assert.ok(h1! < DELAY_MS / 4 && h2! < DELAY_MS / 4, `hops 1-2 fast: ${JSON.stringify(p.hops)}`);
    assert.ok(h3! >= DELAY_MS * 0.9 && h4! >= DELAY_MS * 0.9, `r3 and the VIP delayed: ${JSON.stringify(p.hops)}`);
  }
  assert.ok(outside.length >= 2 && outside.every((p) => p.isp === 'cm' && p.reached));
  for (const p of outside) {
    assert.deepEqual(p.hops.slice(1).map((h) => h.ip), [R3_FROM_R4, p.target], JSON.stringify(p.hops));
    assert.ok(p.hops.every((h) => fastest(h.rtt) < DELAY_MS / 4), `the cm paths (around r2) stay fast: ${JSON.stringify(p.hops)}`);
  }
  assert.ok(tl.tMail > 0, 'the follow-up reached the SMTP server');
  assert.ok(d.diagnosisMail()!.decoded.includes('paths from ct turn slow after 198.18.20.2 (hop 2)'), d.diagnosisMail()!.decoded);
});
