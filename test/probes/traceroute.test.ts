// Traceroute in network namespaces: src -> r1 -> r2 -> r3 -> vip, the routers forwarding and answering with ICMP
// time exceeded. The agent's traceroute must list the routers' addresses in hop order with an RTT per probe, then the
// VIP; with r2 -> r3 cut (nftables), it must stop after r2 and say the target was not reached, within its time bound.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { fileURLToPath } from 'node:url';
import type { TraceHop } from '../../core/jobs.js';
import { skipUnless } from '../support/env.js';
import { NetLab } from '../support/netns.js';
import { breakAfter, buildChain } from './chain.js';

const child = fileURLToPath(new URL('./trace-child.ts', import.meta.url));

interface Line { address: string; ms: number; hops: TraceHop[]; reached: boolean }

test('traceroute lists r1, r2, r3 and the VIP in order; stops after r2 when r2 -> r3 is cut', async (t) => {
  if (skipUnless(t, { root: true, commands: ['ip', 'nft', 'sysctl'] })) return;
  const lab = new NetLab('vwt');
  t.after(() => lab.cleanup());
  const c = buildChain(lab);
  const [vip] = c.vips;
  const opts = { maxTtl: 8, probesPerHop: 3, timeoutMs: 400 };
  const trace = (...addrs: string[]): Line[] => c.src.run(process.execPath, ['--import', 'tsx', child, JSON.stringify(opts), ...addrs])
    .trim().split('\n').map((l) => JSON.parse(l) as Line);

  const [ok] = trace(vip!);
  assert.equal(ok!.reached, true);
  assert.deepEqual(ok!.hops.map((h) => h.ip), [...c.routerIps, vip], JSON.stringify(ok!.hops));
  assert.deepEqual(ok!.hops.map((h) => h.ttl), [1, 2, 3, 4]);
  for (const h of ok!.hops) {
    assert.equal(h.rtt.length, 3, `hop ${h.ttl}: three probes, three RTTs: ${JSON.stringify(h)}`);
    assert.equal(h.lost, 0);
    for (const r of h.rtt) assert.ok(r > 0 && r < 100, `hop ${h.ttl}: RTT ${r} ms`);
  }

  breakAfter(c.routers[1]!, c.downlinks[1]!);
  const [cut] = trace(vip!);
  assert.equal(cut!.reached, false);
  const answering = cut!.hops.filter((h) => h.ip !== null);
  assert.deepEqual(answering.map((h) => h.ip), c.routerIps.slice(0, 2), JSON.stringify(cut!.hops));
  // the silent hops after r2 are kept (two of them), every probe of them lost
  assert.deepEqual(cut!.hops.slice(2).map((h) => [h.ttl, h.ip, h.lost]), [[3, null, 3], [4, null, 3]]);
  // rounds wait at most timeoutMs each: 3 x 400 ms, plus start-up slack
  assert.ok(cut!.ms < opts.probesPerHop * opts.timeoutMs + 500, `a cut trace took ${cut!.ms} ms`);
  assert.ok(cut!.ms >= opts.probesPerHop * opts.timeoutMs - 50, `silent hops are waited for: ${cut!.ms} ms`);
});
