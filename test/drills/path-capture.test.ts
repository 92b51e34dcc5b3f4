// The path drill: real agents in network namespaces, real ICMP, real routers. Sources of isp ct reach the VIPs over
// ct_k -> r1 -> r2 -> r3 -> VIP namespace, sources of isp cm over cm_k -> r4 -> r3 -> VIP. The gateway, web API,
// analyzer with alerting and path capture run in this process (SQLite stores) and mail a real SMTP server. Cutting
// r2 -> r3 (nftables, forward chain of r2) makes the ct paths lose everything: the analyzer opens the fault, path
// capture sends traceroutes from the ct sources (inside) and cm sources (outside), and the diagnosis must name r2 as
// the last answering hop while the cm paths reach the VIP; the follow-up reaches the SMTP server. Prints the times.
import assert from 'node:assert/strict';
import { once } from 'node:events';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import { test } from 'node:test';
import { fileURLToPath } from 'node:url';
import type { Diagnosis } from '../../core/diagnosis.js';
import type { Inventory } from '../../core/model.js';
import { skipUnless } from '../support/env.js';
import { NetLab, type Netns } from '../support/netns.js';
import { startSmtp } from '../support/smtp.js';
import { breakAfter } from '../probes/chain.js';
import { getJson, startStack } from '../probes/stack.js';

const AGENT = fileURLToPath(new URL('./path-agent.ts', import.meta.url));
const GW = '198.18.0.1';
const MINUTE_SEC = 4;
const VIPS = ['198.19.1.1', '198.19.1.2', '198.19.1.3'];
const CT = [['ct1', 'beijing'], ['ct2', 'shanghai'], ['ct3', 'guangdong']] as const;
const CM = [['cm1', 'beijing'], ['cm2', 'shanghai']] as const;

const router = (lab: NetLab, name: string): Netns => {
  const ns = lab.ns(name);
  ns.run('sysctl', ['-qw', 'net.ipv4.ip_forward=1']);
  ns.run('sysctl', ['-qw', 'net.ipv4.icmp_ratelimit=0']);
  return ns;
};

test('path drill: r2 -> r3 cut; the diagnosis names r2 for the ct paths, the cm paths reach the VIP; follow-up mailed', { timeout: 180_000 }, async (t) => {
  if (skipUnless(t, { root: true, commands: ['ip', 'nft', 'sysctl'] })) return;
  const lab = new NetLab('vwp');
  t.after(() => lab.cleanup());
  // routers and the VIP namespace
  const [r1, r2, r3, r4] = ['r1', 'r2', 'r3', 'r4'].map((n) => router(lab, n)) as [Netns, Netns, Netns, Netns];
  const vip = lab.ns('vip');
  lab.addresses(vip, VIPS);
  lab.link(r1, r2, '198.18.20.1/30', '198.18.20.2/30');
  const cut = lab.link(r2, r3, '198.18.21.1/30', '198.18.21.2/30');
  lab.link(r4, r3, '198.18.22.1/30', '198.18.22.2/30');
  lab.link(r3, vip, '198.18.23.1/30', '198.18.23.2/30');
  lab.route(r1, '198.19.0.0/16', '198.18.20.2');
  lab.route(r2, '198.19.0.0/16', '198.18.21.2');
  lab.route(r4, '198.19.0.0/16', '198.18.22.2');
  lab.route(r3, '198.19.0.0/16', '198.18.23.2');
  lab.route(r2, '198.18.8.0/21', '198.18.20.1');
  lab.route(r3, '198.18.8.0/21', '198.18.21.1');
  lab.route(r3, '198.18.40.0/21', '198.18.22.1');
  lab.route(vip, '198.18.0.0/16', '198.18.23.1');
  // the gateway's address in the root namespace, and one source namespace per host
  const anchor = lab.ns('gw');
  lab.link(null, anchor, `${GW}/30`, '198.18.0.2/30');
  const sources = [...CT.map(([h, p], k) => ({ host: h, province: p, isp: 'ct', up: r1, net: 9 + k })),
    ...CM.map(([h, p], k) => ({ host: h, province: p, isp: 'cm', up: r4, net: 41 + k }))].map((s, i) => {
    const ns = lab.ns(s.host);
    lab.link(s.up, ns, `198.18.${s.net}.1/30`, `198.18.${s.net}.2/30`);
    lab.route(ns, '198.19.0.0/16', `198.18.${s.net}.1`);
    lab.link(null, ns, `198.18.${100 + i}.1/30`, `198.18.${100 + i}.2/30`);
    lab.route(ns, `${GW}/32`, `198.18.${100 + i}.1`);
    return { ...s, ns };
  });

  const inventory: Inventory = {
    datacenters: [...sources.map((s) => ({ id: `dc-${s.host}`, province: s.province, isp: s.isp })), { id: 'vip-zj', province: 'zhejiang', isp: 'cu' }],
    hosts: sources.map((s) => ({ id: s.host, ip: `198.18.${s.net}.2`, dc: `dc-${s.host}`, probe: true })),
    vips: VIPS.map((ip) => ({ ip, dc: 'vip-zj', business: 'search' })),
    businesses: [{ name: 'search', owners: ['oncall-search@drill.example'] }],
    isps: [],
  };
  const smtp = await startSmtp();
  t.after(() => smtp.stop());
  const dir = mkdtempSync(join(tmpdir(), 'vipwatch-pathdrill-'));
  const s = await startStack({
    inventory, dir, bind: GW, analyzer: true,
    config: {
      minuteSec: MINUTE_SEC, analyzer: { graceSec: 2 },
      probes: { traceTimeoutMs: 500, maxTtl: 8 },
      alerting: { networkTeam: ['noc@drill.example'], timeZone: 'UTC', smtp: { host: '127.0.0.1', port: smtp.port, starttls: 'off', timeoutMs: 3000 }, outbox: { pollMs: 300, retryBaseMs: 200, retryMaxMs: 2000 } },
    },
  });
  t.after(async () => { await s.stop(); rmSync(dir, { recursive: true, force: true }); });
  for (const src of sources) {
    const child = src.ns.spawn(process.execPath, ['--import', 'tsx', AGENT, s.url, s.agentToken(src.host), join(dir, 'agents', src.host), String(MINUTE_SEC)]);
    let err = '';
    child.stderr!.on('data', (d) => { err += d; });
    const ready = new Promise<void>((resolve) => createInterface({ input: child.stdout! }).on('line', (l) => { if (l === 'ready') resolve(); }));
    await Promise.race([ready, once(child, 'exit').then(() => { throw new Error(`agent ${src.host} exited: ${err}`); })]);
  }

  // healthy minutes first (the analyzer needs records before the cut), then the cut
  await new Promise((r) => setTimeout(r, 3 * MINUTE_SEC * 1000));
  const tCut = Date.now();
  breakAfter(r2, cut.devA);
  let fault: Record<string, any> | undefined;
  let tOpen = 0, tStored = 0;
  const roots = () => getJson(s, '/api/v1/faults?status=all', s.tokens.viewer).then((r) => (r.body as Array<Record<string, any>>).filter((f) => f.parent === null && f.vips.length));
  while (Date.now() - tCut < 120_000) {
    const list = await roots();
    if (list.length && !tOpen) tOpen = Date.now();
    fault = list.find((f) => f.diagnosis);
    if (fault) { tStored = Date.now(); break; }
    await new Promise((r) => setTimeout(r, 200));
  }
  assert.ok(fault, `a root fault with a diagnosis within 120 s of the cut: ${JSON.stringify(await roots())}`);
  const d = fault.diagnosis as Diagnosis;
  let tMail = 0;
  for (const t0 = Date.now(); Date.now() - t0 < 20_000 && !tMail; await new Promise((r) => setTimeout(r, 100))) {
    if (smtp.received.some((m) => /PATH DIAGNOSIS/.test(m.headers.get('subject') ?? ''))) tMail = Date.now();
  }
  const sec = (ms: number) => `${((ms - tCut) / 1000).toFixed(1)} s`;
  console.log(`# diagnosis of ${fault.id}: ${d.text}`);
  console.log(`# after the cut: fault open (seen in the API) ${sec(tOpen)} -> traceroutes back ${sec(Date.parse(d.tracesAt))} -> diagnosis stored ${sec(Date.parse(d.at))} (seen ${sec(tStored)}) -> follow-up received by SMTP ${tMail ? sec(tMail) : 'never'}`);

  assert.equal(fault.isps.join(), 'ct');
  assert.equal(d.kind, 'stop');
  assert.equal(d.hop?.ip, '198.18.20.2', 'r2 (its address towards the ct sources) is the last answering hop');
  assert.equal(d.hop?.ttl, 2);
  assert.match(d.text, /^paths from ct stop after 198\.18\.20\.2 \(hop 2\); paths from cm reach the VIP/);
  const inside = d.paths.filter((p) => p.side === 'inside');
  const outside = d.paths.filter((p) => p.side === 'outside');
  assert.ok(inside.length >= 3 && inside.every((p) => p.isp === 'ct' && !p.reached));
  for (const p of inside) assert.deepEqual(p.hops.slice(0, 2).map((h) => h.ip), [`198.18.${sources.find((x) => x.host === p.host)!.net}.1`, '198.18.20.2']);
  assert.ok(outside.length >= 2 && outside.every((p) => p.isp === 'cm' && p.reached));
  for (const p of outside) assert.deepEqual(p.hops.slice(1).map((h) => h.ip), ['198.18.22.2', p.target], JSON.stringify(p.hops));
  assert.ok(tMail > 0, 'the follow-up reached the SMTP server');
  const mail = smtp.received.find((m) => /PATH DIAGNOSIS/.test(m.headers.get('subject') ?? ''))!;
  assert.ok(mail.decoded.includes('paths from ct stop after 198.18.20.2 (hop 2)'), mail.decoded);
});
