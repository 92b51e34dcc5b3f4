// IPv6 end to end. Probing: ICMPv6 echo from `vipwatch probe` against fping -6 in a private namespace pair with ULA
// addresses (fd00::/8, no DAD): loss exact (0%, 40% and 100% by nftables) and RTT; tcp to [addr]:port and http to an
// IPv6 URL. Then the rest of the path with IPv6 VIPs: the inventory (canonical form, errors), the gateway's task list,
// result ingest into the store, and the web UI's VIP list and page (a colon-laden address in the URL path).
import assert from 'node:assert/strict';
import { createInterface } from 'node:readline';
import { after, before, describe, it } from 'node:test';
import { fileURLToPath } from 'node:url';
import { validateInventory } from '../../core/inventory.js';
import type { ResultRecord } from '../../core/model.js';
import type { StoredRecord } from '../../core/store/series.js';
import { missing } from '../support/env.js';
import { median, parseFping } from '../support/fping.js';
import { NetLab, type Netns } from '../support/netns.js';
import { ADMIN, login, startWeb, type TestWeb } from '../web/harness.js';
import { HOST, testGateway, type TestGateway } from './gateway.js';

const cli = fileURLToPath(new URL('../../bin/vipwatch.js', import.meta.url));
const COUNT = 20;
const PERIOD_MS = 25;
const A = { clean: 'fd00:2::1', lossy: 'fd00:2::2', dead: 'fd00:2::3' };

const netMissing = missing({ root: true, commands: ['ip', 'nft', 'fping'] });
describe('ICMPv6, tcp and http over IPv6 in a namespace (vipwatch probe vs fping -6)', { skip: netMissing ?? false }, () => {
  const lab = new NetLab('vw6');
  let agent: Netns;
  before(async () => {
    agent = lab.ns('agent');
    const vips = lab.ns('vips');
    lab.link(agent, vips, 'fd00:1::1/64', 'fd00:1::2/64');
    lab.addresses(vips, Object.values(A));
    lab.route(agent, 'fd00:2::/64', 'fd00:1::2');
    // 'every': exactly 2 of each 5 requests, so a run of 20 loses exactly 8
    lab.loss(vips, [{ addr: A.lossy, pct: 40 }, { addr: A.dead, pct: 100 }]);
    // an http server on the clean address (tcp probes connect to it too)
    const server = vips.spawn(process.execPath, ['-e',
      `require('http').createServer((q, r) => r.end('ok')).listen(8080, '${A.clean}', () => console.log('ready'))`]);
    await new Promise<void>((resolve, reject) => {
      createInterface({ input: server.stdout! }).on('line', (l) => { if (l === 'ready') resolve(); });
      server.once('exit', (code) => reject(new Error(`http server exited ${code}`)));
    });
  });
  after(() => lab.cleanup());

  const probe = (...args: string[]) => {
    const r = agent.exec(process.execPath, [cli, 'probe', ...args]);
    assert.equal(r.status, 0, r.stderr);
    return { records: r.stdout.trim().split('\n').map((l) => JSON.parse(l) as ResultRecord), stderr: r.stderr };
  };

  it('icmp: loss equals fping -6\'s, RTTs agree', async (t) => {
    const f = agent.exec('fping', ['-6', '-C', String(COUNT), '-q', '-p', String(PERIOD_MS), '-t', '500', ...Object.values(A)]);
    assert.equal(f.status, 1, `fping exits 1 when a target is unreachable: ${f.stderr}`);
    const fping = parseFping(f.stderr);
    const ours = probe('--count', String(COUNT), '--interval-ms', String(PERIOD_MS), '--timeout-ms', '500', '--rtts', ...Object.values(A));
    const perProbe = parseFping(ours.stderr);
    const records = new Map(ours.records.map((r) => [r.vip, r]));
    for (const [label, addr, lost] of [['clean', A.clean, 0], ['lossy', A.lossy, 8], ['dead', A.dead, COUNT]] as const) {
      const r = records.get(addr)!;
      assert.equal(fping.get(addr)!.lost, lost, `${label}: fping's losses`);
      assert.deepEqual({ sent: r.sent, lost: r.sent - r.recv }, { sent: COUNT, lost }, `${label}: our losses equal fping's`);
      assert.equal(perProbe.get(addr)!.lost, lost, `${label}: --rtts shows the same losses`);
    }
    const m = median(perProbe.get(A.clean)!.rtts);
    const fm = median(fping.get(A.clean)!.rtts);
    t.diagnostic(`clean ${A.clean}: median ours ${m.toFixed(3)} ms, fping -6 ${fm.toFixed(3)} ms, difference ${(m - fm).toFixed(3)} ms`);
    assert.ok(Math.abs(m - fm) < 0.5, `median ${m} ms vs fping's ${fm} ms`);
    assert.equal(records.get(A.dead)!.rttAvg, undefined);
  });

  it('tcp to [addr]:port and http to an IPv6 URL', () => {
    const tcp = probe('--method', 'tcp', '--count', '3', '--interval-ms', '20', `[${A.clean}]:8080`, `[${A.clean}]:8081`);
    assert.deepEqual(tcp.records.map((r) => [r.vip, r.recv]), [[`[${A.clean}]:8080`, 3], [`[${A.clean}]:8081`, 0]], 'listening port answers, closed port refuses');
    const http = probe('--method', 'http', '--count', '2', '--interval-ms', '20', `http://[${A.clean}]:8080/`);
    assert.deepEqual([http.records[0]!.recv, http.records[0]!.httpStatus], [2, 200]);
  });

  it('a bare IPv6 address with a port is refused with the form to use', () => {
    const r = agent.exec(process.execPath, [cli, 'probe', '--method', 'tcp', `${A.clean}:8080`]);
    assert.equal(r.status, 2);
    assert.match(r.stderr, /\[IPv6 address\]:port/);
  });
});

const inventory = (vips: unknown[]) => ({
  datacenters: [{ id: 'dc-1', province: 'beijing', isp: 'ct' }],
  hosts: [{ id: 'h1', ip: 'fd00:1::1', dc: 'dc-1' }],
  vips, businesses: [{ name: 'search', owners: ['o@example.com'] }],
});

describe('IPv6 VIPs through inventory, gateway and store', () => {
  it('the inventory takes IPv6 as written, finds duplicates whatever the spelling, and names bad addresses', () => {
    const inv = validateInventory(inventory([{ ip: 'fd00:2::10', dc: 'dc-1', business: 'search', port: 443, url: 'https://[fd00:2::10]/health' }]), 'inv.yaml');
    assert.equal(inv.vips[0]!.ip, 'fd00:2::10');
    assert.equal(inv.hosts[0]!.ip, 'fd00:1::1');
    assert.throws(() => validateInventory(inventory([
      { ip: 'fd00:2::10', dc: 'dc-1', business: 'search' }, { ip: 'fd00:2:0::10', dc: 'dc-1', business: 'search' },
      { ip: 'fd00::zz', dc: 'dc-1', business: 'search' }, { ip: 'fe80::1%eth0', dc: 'dc-1', business: 'search' },
    ]), 'inv.yaml'), (e: Error) => {
      assert.match(e.message, /vips\[1\] \("fd00:2:0::10"\).*duplicate ip "fd00:2::10"/);
      assert.match(e.message, /vips\[2\].*ip: not an IPv4 or IPv6 address \(value "fd00::zz"\)/);
      assert.match(e.message, /vips\[3\].*ip: not an IPv4 or IPv6 address/);
      return true;
    });
  });

  let gw: TestGateway;
  before(async () => { gw = await testGateway([{ ip: 'fd00:2::10', port: 443, url: 'https://[fd00:2::10]/health' }, { ip: '198.19.0.1' }]); });
  after(() => gw?.close());

  it('the task list carries the IPv6 VIP for icmp, tcp and http; its records are taken in and stored', async () => {
    const auth = { Authorization: `Bearer ${gw.token}` };
    const list = await (await fetch(`${gw.url}/api/v1/tasks`, { headers: auth })).json() as { targets: Array<{ vip: string; method: string; port?: number; url?: string }> };
    assert.deepEqual(list.targets.filter((t) => t.vip === 'fd00:2::10').map((t) => [t.method, t.port ?? t.url ?? '']),
      [['icmp', ''], ['tcp', 443], ['http', 'https://[fd00:2::10]/health']]);
    const ts = new Date(Math.floor(Date.now() / 60_000) * 60_000 - 60_000).toISOString().replace('.000Z', 'Z');
    const results = [
      { ts, host: HOST, vip: 'fd00:2::10', method: 'icmp', sent: 10, recv: 10, rttMin: 0.05, rttAvg: 0.06, rttMax: 0.08 },
      { ts, host: HOST, vip: 'fd00:2::10', method: 'http', sent: 10, recv: 10, rttMin: 3, rttAvg: 4, rttMax: 5, httpStatus: 200, httpTotalMs: 4.5, certDaysLeft: 20.5 },
    ];
    const res = await fetch(`${gw.url}/api/v1/results`, { method: 'POST', headers: { ...auth, 'Content-Type': 'application/json' }, body: JSON.stringify({ host: HOST, results }) });
    assert.equal(res.status, 200, await res.text());
    const stored = (await gw.stored()).filter((r: StoredRecord) => r.vip === 'fd00:2::10');
    assert.deepEqual(stored.map((r) => [r.method, r.recv, r.httpStatus, r.certDaysLeft]).sort(), [['http', 10, 200, 20.5], ['icmp', 10, undefined, undefined]]);
  });
});

describe('IPv6 VIP in the web UI', () => {
  let web: TestWeb;
  before(async () => { web = await startWeb(); });
  after(() => web?.stop());

  it('the VIP list links to the VIP page, which shows the VIP and its HTTP checks', async () => {
    const vip = { ip: 'fd00:2::10', dc: [...web.catalog.dcs.keys()][0]!, business: web.catalog.inventory.businesses[0]!.name, url: 'https://[fd00:2::10]/health' };
    web.catalog.vips.set(vip.ip, vip);
    web.catalog.inventory.vips.push(vip);
    const dc = web.catalog.dcs.get(vip.dc)!;
    const minute = Math.floor(Date.now() / 60_000) * 60_000 - 2 * 60_000;
    await web.series.write([{
      ts: new Date(minute).toISOString().replace('.000Z', 'Z'), host: 'h-1', vip: vip.ip, method: 'http', sent: 10, recv: 9,
      rttMin: 3, rttAvg: 4, rttMax: 5, httpStatus: 503, httpDnsMs: 0, httpConnectMs: 0.4, httpTlsMs: 2.2, httpFirstByteMs: 4, httpTotalMs: 4.5, certDaysLeft: 6.25,
      dc: dc.id, province: dc.province, isp: dc.isp, vipDc: vip.dc, business: vip.business,
    }]);
    const { cookie } = await login(web.url, ADMIN.user, ADMIN.password);
    const listPage = await (await fetch(`${web.url}/vips?q=fd00`, { headers: { Cookie: cookie } })).text();
    const href = /<a href="(\/vips\/[^"]+)">fd00:2::10<\/a>/.exec(listPage)?.[1];
    assert.equal(href, '/vips/fd00%3A2%3A%3A10');
    const res = await fetch(`${web.url}${href}`, { headers: { Cookie: cookie } });
    assert.equal(res.status, 200);
    const page = await res.text();
    assert.match(page, /VIP fd00:2::10/);
    assert.doesNotMatch(page, /not in the current inventory/);
    assert.match(page, /id="vip-http"/);
    assert.match(page, /data-status="503"/, 'the latest status');
    assert.match(page, /data-cert-days="6.25"/, 'the certificate days left');
  });
});
