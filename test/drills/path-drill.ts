// The path drill's world, shared by its loss and latency halves: sources of isp ct reach the VIPs over
// ct_k -> r1 -> r2 -> r3 -> VIP namespace, sources of isp cm over cm_k -> r4 -> r3 -> VIP (around r2). Real agents
// (path-agent.ts) in the source namespaces; the gateway, web API, analyzer with alerting and path capture run in this
// process (SQLite stores) and mail a real SMTP server. The r2 -> r3 link is either a plain veth pair (cut it with
// breakAfter) or a delay link (test/support/delay-link.ts: a userspace wire whose delay the test sets).
import { once } from 'node:events';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import type { TestContext } from 'node:test';
import { fileURLToPath } from 'node:url';
import type { Diagnosis } from '../../core/diagnosis.js';
import type { Inventory } from '../../core/model.js';
import { delayLink, type DelayLink } from '../support/delay-link.js';
import { NetLab, type Netns } from '../support/netns.js';
import { startSmtp, type ReceivedMail } from '../support/smtp.js';
import { getJson, startStack, type Stack } from '../probes/stack.js';

const AGENT = fileURLToPath(new URL('./path-agent.ts', import.meta.url));
export const GW = '198.18.0.1';
export const MINUTE_SEC = 4;
export const VIPS = ['198.19.1.1', '198.19.1.2', '198.19.1.3'];
/** r2's address towards the ct sources: what the diagnosis names when the path breaks or slows behind r2 */
export const R2 = '198.18.20.2';
/** r3's addresses on the r2 -> r3 link and on the r4 -> r3 link */
export const R3_FROM_R2 = '198.18.21.2';
export const R3_FROM_R4 = '198.18.22.2';
const CT = [['ct1', 'beijing'], ['ct2', 'shanghai'], ['ct3', 'guangdong']] as const;
const CM = [['cm1', 'beijing'], ['cm2', 'shanghai']] as const;

export interface Source { host: string; province: string; isp: string; net: number; ns: Netns }

export interface PathDrill {
  s: Stack;
  smtp: Awaited<ReturnType<typeof startSmtp>>;
  r2: Netns;
  /** r2's device towards r3 */
  r2Down: string;
  /** the r2 -> r3 link's delay, when the drill was built with `delayed` */
  delay: DelayLink | null;
  sources: Source[];
  /** root faults with VIPs (GET /api/v1/faults?status=all) */
  roots(): Promise<Array<Record<string, any>>>;
  /** the first follow-up with the path diagnosis that reached the SMTP server */
  diagnosisMail(): ReceivedMail | undefined;
}

const router = (lab: NetLab, name: string): Netns => {
  const ns = lab.ns(name);
  ns.run('sysctl', ['-qw', 'net.ipv4.ip_forward=1']);
  ns.run('sysctl', ['-qw', 'net.ipv4.icmp_ratelimit=0']);
  return ns;
};

/** Builds the namespaces, starts the stack and the agents (each ready); everything is undone at the test's end. */
export async function startPathDrill(t: TestContext, o: { prefix: string; delayed: boolean; config?: Record<string, any> }): Promise<PathDrill> {
  const lab = new NetLab(o.prefix);
  t.after(() => lab.cleanup());
  const [r1, r2, r3, r4] = ['r1', 'r2', 'r3', 'r4'].map((n) => router(lab, n)) as [Netns, Netns, Netns, Netns];
  const vip = lab.ns('vip');
  lab.addresses(vip, VIPS);
  lab.link(r1, r2, '198.18.20.1/30', `${R2}/30`);
  const delay = o.delayed ? await delayLink(lab, 'dly', r2, r3, '198.18.21.1/30', `${R3_FROM_R2}/30`) : null;
  const r2Down = delay ? delay.devA : lab.link(r2, r3, '198.18.21.1/30', `${R3_FROM_R2}/30`).devA;
  lab.link(r4, r3, '198.18.22.1/30', `${R3_FROM_R4}/30`);
  lab.link(r3, vip, '198.18.23.1/30', '198.18.23.2/30');
  lab.route(r1, '198.19.0.0/16', R2);
  lab.route(r2, '198.19.0.0/16', R3_FROM_R2);
  lab.route(r4, '198.19.0.0/16', R3_FROM_R4);
  lab.route(r3, '198.19.0.0/16', '198.18.23.2');
  lab.route(r2, '198.18.8.0/21', '198.18.20.1');
  lab.route(r3, '198.18.8.0/21', '198.18.21.1');
  lab.route(r3, '198.18.40.0/21', '198.18.22.1');
  lab.route(vip, '198.18.0.0/16', '198.18.23.1');
  // the gateway's address in the root namespace, and one source namespace per host
  const anchor = lab.ns('gw');
  lab.link(null, anchor, `${GW}/30`, '198.18.0.2/30');
  const sources: Source[] = [...CT.map(([h, p], k) => ({ host: h, province: p, isp: 'ct', up: r1, net: 9 + k })),
    ...CM.map(([h, p], k) => ({ host: h, province: p, isp: 'cm', up: r4, net: 41 + k }))].map(({ up, ...s }, i) => {
    const ns = lab.ns(s.host);
    lab.link(up, ns, `198.18.${s.net}.1/30`, `198.18.${s.net}.2/30`);
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
  const config = o.config ?? {};
  const s = await startStack({
    inventory, dir, bind: GW, analyzer: true,
    config: {
      minuteSec: MINUTE_SEC,
      probes: { traceTimeoutMs: 500, maxTtl: 8 },
      alerting: { networkTeam: ['noc@drill.example'], timeZone: 'UTC', smtp: { host: '127.0.0.1', port: smtp.port, starttls: 'off', timeoutMs: 3000 }, outbox: { pollMs: 300, retryBaseMs: 200, retryMaxMs: 2000 } },
      ...config,
      analyzer: { graceSec: 2, ...config.analyzer },
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
  return {
    s, smtp, r2, r2Down, delay, sources,
    roots: () => getJson(s, '/api/v1/faults?status=all', s.tokens.viewer).then((r) => (r.body as Array<Record<string, any>>).filter((f) => f.parent === null && f.vips.length)),
    diagnosisMail: () => smtp.received.find((m) => /PATH DIAGNOSIS/.test(m.headers.get('subject') ?? '')),
  };
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

export interface Timeline { fault: Record<string, any> | undefined; tOpen: number; tStored: number; tMail: number }

/** Waits for a root fault that `pick` accepts to carry a diagnosis, then for its follow-up mail; the times seen. */
export async function awaitDiagnosis(d: PathDrill, pick: (f: Record<string, any>) => boolean, withinMs: number): Promise<Timeline> {
  const t0 = Date.now();
  let fault: Record<string, any> | undefined;
  let tOpen = 0, tStored = 0, tMail = 0;
  while (Date.now() - t0 < withinMs) {
    const list = (await d.roots()).filter(pick);
    if (list.length && !tOpen) tOpen = Date.now();
    fault = list.find((f) => f.diagnosis);
    if (fault) { tStored = Date.now(); break; }
    await sleep(200);
  }
  for (const t1 = Date.now(); fault && Date.now() - t1 < 20_000 && !tMail; await sleep(100)) {
    if (d.diagnosisMail()) tMail = Date.now();
  }
  return { fault, tOpen, tStored, tMail };
}

/** One line with the times after the fault was caused (t0): open -> traceroutes back -> stored -> mailed. */
export function timesLine(what: string, t0: number, tl: Timeline, d: Diagnosis): string {
  const sec = (ms: number) => `${((ms - t0) / 1000).toFixed(1)} s`;
  return `after ${what}: fault open (seen in the API) ${sec(tl.tOpen)} -> traceroutes back ${sec(Date.parse(d.tracesAt))} -> diagnosis stored ${sec(Date.parse(d.at))} (seen ${sec(tl.tStored)}) -> follow-up received by SMTP ${tl.tMail ? sec(tl.tMail) : 'never'}`;
}
