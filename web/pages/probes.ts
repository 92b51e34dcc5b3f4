// On-demand probes (contract "On-demand probes and path capture"): the JSON API (POST /api/v1/probes for operators
// and admins, GET /api/v1/probes/:id, GET /api/v1/probes/audit) and the page that starts a job and shows its results
// as they arrive (web/assets/probes.js: a chart for ping methods, a hop table per source for traceroute).
import { json, Router, type RequestHandler } from 'express';
import { JOB_METHODS, MAX_SOURCES, DEFAULT_SOURCES } from '../../core/jobs.js';
import type { JobService } from '../../core/job-service.js';
import type { JobStore } from '../../core/store/jobs.js';
import type { Access } from '../auth/access.js';
import { identify, principalOf, requireApiLogin, requireCsrf, requirePageLogin } from '../auth/guards.js';
import { ctxOf, sendPage, type WebDeps } from '../deps.js';
import { html } from '../html.js';
import { securityHeaders } from '../security.js';
import { page } from '../views/layout.js';

export interface ProbeParts { service: JobService; store: JobStore }

/** Starting jobs needs the operator or admin role. */
const requireOperator: RequestHandler = (_req, res, next) => {
  const p = principalOf(res);
  if (!p) { res.status(401).json({ error: 'authentication required' }); return; }
  if (p.role === 'operator' || p.role === 'admin') return next();
  res.status(403).json({ error: `user ${p.user} has role ${p.role}; starting probe jobs needs operator or admin` });
};

export function probePages(deps: WebDeps, parts: ProbeParts, access: Access): Router {
  const router = Router();
  const who = identify(access, true);

  router.post('/api/v1/probes', json({ limit: '64kb' }), who, requireOperator, requireCsrf(true), async (req, res) => {
    const user = principalOf(res)!.user;
    const out = await parts.service.create(req.body, user);
    if (out.status !== 202) {
      if (out.retryAfterSec) res.setHeader('Retry-After', String(out.retryAfterSec));
      res.status(out.status).json({ error: out.error });
      return;
    }
    res.status(202).setHeader('Location', `/api/v1/probes/${out.job.id}`).json({ id: out.job.id });
  });

  router.get('/api/v1/probes/audit', who, requireApiLogin, async (req, res) => {
    const limit = Math.min(1000, Math.max(1, Number(req.query.limit) || 200));
    res.json({ audit: await parts.store.audit(limit) });
  });

  router.get('/api/v1/probes/:id', who, requireApiLogin, async (req, res) => {
    const id = String(req.params.id);
    const view = /^[A-Za-z0-9_-]{1,32}$/.test(id) ? await parts.service.view(id) : null;
    if (!view) { res.status(404).json({ error: `no probe job ${JSON.stringify(id)}` }); return; }
    res.setHeader('Cache-Control', 'no-store').json(view);
  });

  router.get('/probes', securityHeaders, identify(access, false), requirePageLogin, (req, res) => {
    const ctx = ctxOf(req, res);
    const can = ctx.principal?.role === 'operator' || ctx.principal?.role === 'admin';
    const cat = deps.catalog();
    const dcs = [...cat.dcs.values()];
    const uniq = (xs: string[]) => [...new Set(xs)].sort();
    const target = typeof req.query.target === 'string' ? req.query.target.slice(0, 200) : '';
    sendPage(res, page(ctx, 'Probes', html`
<p class="muted">Probe a VIP (or an address inside <code>probes.allowCidrs</code>) from hosts of the fleet, now. Sources are spread over the data centers of the scope; an empty scope field means any. For traceroute, an address (IPv4 or IPv6) traces with ICMP echo, <code>ip:port</code> with TCP SYN to that port (where ICMP is filtered).</p>
${can ? html`<form id="probe-form" class="probe-form" data-csrf="${ctx.principal?.session?.csrf ?? ''}">
  <label>Target <input name="target" required placeholder="203.0.113.10, ip:port or http://ip/path" value="${target}" list="probe-vips"></label>
  <label>Method <select name="method">${JOB_METHODS.map((m) => html`<option value="${m}">${m}</option>`)}</select></label>
  <label>Sources <input name="sources" type="number" min="1" max="${MAX_SOURCES}" value="${DEFAULT_SOURCES}"></label>
  <label>Count <input name="count" type="number" min="1" placeholder="default"></label>
  <label>Provinces <input name="provinces" placeholder="guangdong, beijing" list="probe-provinces"></label>
  <label>ISPs <input name="isps" placeholder="ct, cm"></label>
  <label>DCs <input name="dcs" placeholder="dc ids" list="probe-dcs"></label>
  <label>Hosts <input name="hosts" placeholder="host ids"></label>
  <button type="submit">Start</button>
</form>
<datalist id="probe-vips">${[...cat.vips.keys()].slice(0, 2000).map((v) => html`<option value="${v}">`)}</datalist>
<datalist id="probe-provinces">${uniq(dcs.map((d) => d.province)).map((v) => html`<option value="${v}">`)}</datalist>
<datalist id="probe-dcs">${uniq(dcs.map((d) => d.id)).map((v) => html`<option value="${v}">`)}</datalist>`
    : html`<p class="notice">You can watch jobs; starting one needs the operator or admin role.</p>`}
<p id="probe-status" class="muted" role="status"></p>
<div id="probe-chart" class="probe-chart"></div>
<div id="probe-results"></div>`, { scripts: ['vendor/uplot.js', 'probes.js'], styles: ['vendor/uplot.css'], wide: true }));
  });

  return router;
}
