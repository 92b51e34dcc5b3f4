// ICMP probing agrees with fping on the same addresses, in a private network namespace: loss (0%, 40%, 100%, set
// with nftables) and RTT (an address the userspace responder answers 20 ms late must read within 1 ms of 20 ms).
// The machine is shared, so single replies can be late by ms for both tools alike (the responder is a user process):
// RTTs are compared by minimum and median, which such stragglers do not move; loss is compared exactly.
// A second test runs both tools side by side on a path the kernel answers (no user process in it) and prints the
// median difference (`vipwatch probe --rtts` vs `fping -C`); the 0.05 ms target, also under 2,500 targets of load,
// is measured by `npm run bench:rtt` (test/bench/rtt.ts), not asserted in a test on a shared machine.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { once } from 'node:events';
import { fileURLToPath } from 'node:url';
import type { ResultRecord } from '../../core/model.js';
import { skipUnless } from '../support/env.js';
import { median, parseFping } from '../support/fping.js';
import { startResponder } from '../support/icmp-responder.js';
import { NetLab } from '../support/netns.js';

const cli = fileURLToPath(new URL('../../bin/vipwatch.js', import.meta.url));
const COUNT = 40;
const PERIOD_MS = 25;
const DELAY_MS = 20;

/** both tools run at the same raised priority, as does the responder */
const nice = ['-n', '-10'];

test('icmp probe (vipwatch probe): loss and RTT agree with fping (0%, 40%, 100% loss, a 20 ms delayed address)', async (t) => {
  if (skipUnless(t, { root: true, commands: ['ip', 'nft', 'fping', 'sysctl'] })) return;
  const lab = new NetLab('vwi');
  t.after(() => lab.cleanup());
  const agent = lab.ns('agent');
  const vips = lab.ns('vips');
  lab.link(agent, vips, '198.18.0.1/30', '198.18.0.2/30');
  const A = { clean: '198.19.0.1', lossy: '198.19.0.2', dead: '198.19.0.3', slow: '198.19.0.4' };
  const addrs = Object.values(A);
  lab.addresses(vips, addrs);
  lab.route(agent, '198.19.0.0/24', '198.18.0.2');
  // 'every' drops exactly 2 of each 5 requests, so two runs of 40 probes each see exactly 40%
  lab.loss(vips, [
    { addr: A.lossy, pct: 40 },
    { addr: A.dead, pct: 100 },
    { addr: A.dead, pct: 100, match: { tcpPort: 80 } },
  ]);
  await startResponder(vips, { [A.clean]: {}, [A.lossy]: {}, [A.dead]: {}, [A.slow]: { delayMs: DELAY_MS } });

  const f = agent.exec('nice', [...nice, 'fping', '-C', String(COUNT), '-q', '-p', String(PERIOD_MS), '-t', '500', ...addrs]);
  assert.equal(f.status, 1, `fping exits 1 when a target is unreachable: ${f.stderr}`);
  const fping = parseFping(f.stderr);

  const ours = agent.exec('nice', [...nice, process.execPath, cli, 'probe', '--count', String(COUNT), '--interval-ms', String(PERIOD_MS), '--timeout-ms', '500', '--rtts', ...addrs]);
  assert.equal(ours.status, 0, ours.stderr);
  const records = new Map(ours.stdout.trim().split('\n').map((l) => JSON.parse(l) as ResultRecord).map((r) => [r.vip, r]));
  assert.deepEqual([...records.keys()], addrs, 'one record per target, in the order given');

  // every probe's RTT (--rtts, fping -C's format on stderr), to compare medians with fping's
  const perProbe = parseFping(ours.stderr);

  const expectLost = { clean: 0, lossy: 16, dead: COUNT, slow: 0 };
  for (const [label, addr] of Object.entries(A)) {
    const r = records.get(addr)!;
    const fp = fping.get(addr)!;
    const lost = expectLost[label as keyof typeof expectLost];
    t.diagnostic(`${label} ${addr}: ours sent ${r.sent} recv ${r.recv} min/avg/max ${r.rttMin ?? '-'}/${r.rttAvg ?? '-'}/${r.rttMax ?? '-'} ms; ` +
      `fping lost ${fp.lost} min/median ${fp.rtts.length ? `${Math.min(...fp.rtts)}/${median(fp.rtts)}` : '-'} ms`);
    assert.equal(r.method, 'icmp');
    assert.equal(r.sent, COUNT, `${label}: sent`);
    assert.equal(fp.lost, lost, `${label}: fping's losses`);
    assert.equal(r.sent - r.recv, lost, `${label}: our losses equal fping's`);
    if (r.recv === 0) {
      assert.equal(r.rttAvg, undefined, 'no rtt fields when nothing came back');
      continue;
    }
    assert.ok(r.rttMin! <= r.rttAvg! && r.rttAvg! <= r.rttMax!);
    assert.ok(Math.abs(r.rttMin! - Math.min(...fp.rtts)) < 0.5, `${label}: our min ${r.rttMin} ms vs fping's ${Math.min(...fp.rtts)} ms`);
  }
  for (const [label, addr] of [['clean', A.clean], ['slow', A.slow]] as const) {
    const ours1 = perProbe.get(addr)!;
    const fp = fping.get(addr)!;
    t.diagnostic(`${label}: per-probe median ours ${median(ours1.rtts).toFixed(3)} ms, fping ${median(fp.rtts).toFixed(3)} ms`);
    assert.equal(ours1.lost, 0);
    // Our own overhead would show as ours above fping. Below it is the responder: the tools run one after the other,
    // and the delayed address's timer in the user-space responder ran up to 0.8 ms later during fping's run than
    // during ours in two CI runs (20.38 vs 21.1 ms); that the delay itself reads right is asserted below.
    const slower = median(ours1.rtts) - median(fp.rtts);
    assert.ok(label === 'slow' ? slower < 0.5 : Math.abs(slower) < 0.5, `${label}: median ${median(ours1.rtts)} ms vs fping's ${median(fp.rtts)} ms`);
  }
  const slow = records.get(A.slow)!;
  assert.ok(slow.rttMin! >= DELAY_MS && slow.rttMin! - DELAY_MS < 1, `delayed address: min ${slow.rttMin} ms, want ${DELAY_MS} ms within 1 ms`);
  assert.ok(Math.abs(median(perProbe.get(A.slow)!.rtts) - DELAY_MS) < 1, 'delayed address: median within 1 ms of the delay');
  assert.ok(Math.abs(median(fping.get(A.slow)!.rtts) - DELAY_MS) < 1, 'fping sees the same delay');
});

test('vipwatch probe: down targets over tcp and http are lost, refused at once or silent until the timeout', async (t) => {
  if (skipUnless(t, { root: true, commands: ['ip', 'nft'] })) return;
  const lab = new NetLab('vwd');
  t.after(() => lab.cleanup());
  const agent = lab.ns('agent');
  const vips = lab.ns('vips');
  lab.link(agent, vips, '198.18.0.1/30', '198.18.0.2/30');
  lab.addresses(vips, ['198.19.0.1', '198.19.0.3']);
  lab.route(agent, '198.19.0.0/24', '198.18.0.2');
  lab.loss(vips, [{ addr: '198.19.0.3', pct: 100, match: { tcpPort: 80 } }]);
  const probe = (method: string, ...targets: string[]) => {
    const r = agent.exec(process.execPath, [cli, 'probe', '--method', method, '--count', '3', '--interval-ms', '50', '--timeout-ms', '300', ...targets]);
    assert.equal(r.status, 0, r.stderr);
    return r.stdout.trim().split('\n').map((l) => JSON.parse(l) as ResultRecord);
  };
  // 198.19.0.1:81: nothing listens, the kernel answers RST; 198.19.0.3:80: SYNs dropped, nothing comes back
  for (const r of [...probe('tcp', '198.19.0.1:81', '198.19.0.3:80'), ...probe('http', 'http://198.19.0.1:81/', 'http://198.19.0.3/')]) {
    assert.deepEqual({ sent: r.sent, recv: r.recv, rttAvg: r.rttAvg }, { sent: 3, recv: 0, rttAvg: undefined }, `${r.method} ${r.vip}`);
  }
});

test('vipwatch probe and fping side by side on a kernel-answered path: median RTT difference', async (t) => {
  if (skipUnless(t, { root: true, commands: ['ip', 'fping'] })) return;
  const lab = new NetLab('vwk');
  t.after(() => lab.cleanup());
  const agent = lab.ns('agent');
  const vips = lab.ns('vips');
  lab.link(agent, vips, '198.18.0.1/30', '198.18.0.2/30');
  lab.addresses(vips, ['198.19.0.1']);
  lab.route(agent, '198.19.0.0/24', '198.18.0.2');
  const n = 200;
  // both at once, so both see the same machine load; the kernel answers (no user process in the path)
  const run = (cmd: string, args: string[]) => {
    const p = agent.spawn('nice', [...nice, cmd, ...args]);
    let out = '';
    let err = '';
    p.stdout!.on('data', (d) => { out += d; });
    p.stderr!.on('data', (d) => { err += d; });
    return once(p, 'exit').then(([code]) => ({ code: code as number, out, err }));
  };
  const [ours, fp] = await Promise.all([
    run(process.execPath, [cli, 'probe', '--count', String(n), '--interval-ms', String(PERIOD_MS), '--timeout-ms', '500', '--rtts', '198.19.0.1']),
    run('fping', ['-C', String(n), '-q', '-p', String(PERIOD_MS), '-t', '500', '198.19.0.1']),
  ]);
  assert.equal(ours.code, 0, ours.err);
  const a = parseFping(ours.err).get('198.19.0.1')!;
  const b = parseFping(fp.err).get('198.19.0.1')!;
  assert.deepEqual([a.lost, b.lost], [0, 0]);
  const diff = median(a.rtts) - median(b.rtts);
  t.diagnostic(`median RTT: vipwatch probe ${median(a.rtts).toFixed(3)} ms, fping ${median(b.rtts).toFixed(3)} ms, difference ${diff >= 0 ? '+' : ''}${diff.toFixed(3)} ms (${n} probes each, ${PERIOD_MS} ms apart)`);
  const record = JSON.parse(ours.out.trim()) as ResultRecord;
  assert.equal(record.recv, n);
  assert.ok(Math.abs(record.rttMin! - Math.min(...a.rtts)) < 0.001, 'the record and --rtts come from the same probes');
  assert.ok(Math.abs(diff) < 0.5, `median ${median(a.rtts)} ms vs fping's ${median(b.rtts)} ms`);
});
