// The JSON API (contract "HTTP API"): faults, and the whitelist with audited writes by admins
// (an admin session with its CSRF token, or an admin API token for scripts).
import { json, Router, type RequestHandler } from 'express';
import type { Counter } from 'prom-client';
import { pickEpisode, SIGNALS, type FaultEpisode } from '../core/episode.js';
import type { StoredEpisode } from '../core/store/faults.js';
import type { Access } from './auth/access.js';
import { identify, principalOf, requireAdmin, requireApiLogin, requireCsrf } from './auth/guards.js';
import type { WebDeps } from './deps.js';
import { entryJson, parseWhitelistInput } from './whitelist-input.js';

/** Exactly the contract's episode fields, in its order (the store adds uid, history, updatedAt). */
export const contractEpisode = (e: StoredEpisode): FaultEpisode => pickEpisode(e);

const reasonOf = (v: unknown): string => (typeof v === 'string' ? v.trim().slice(0, 500) : '');

export function apiRoutes(deps: WebDeps, access: Access, changes: Counter): Router {
  const router = Router();
  const who = identify(access, true);
  const read: RequestHandler[] = deps.config.web.apiReadAuth ? [who, requireApiLogin] : [];
  const write: RequestHandler[] = [json({ limit: '16kb' }), who, requireAdmin(true), requireCsrf(true)];

  router.get('/api/v1/faults', ...read, async (req, res) => {
    const status = req.query.status ?? 'open';
    if (status !== 'open' && status !== 'all') {
      res.status(400).json({ error: `status ${JSON.stringify(status)}: expected open or all` });
      return;
    }
    const limit = req.query.limit === undefined ? 1000 : Number(req.query.limit);
    if (!Number.isInteger(limit) || limit < 1 || limit > 10_000) {
      res.status(400).json({ error: `limit ${JSON.stringify(req.query.limit)}: expected an integer 1..10000` });
      return;
    }
    // the contract's faults are loss and latency; certificate warnings (informational) only when asked for
    const signal = req.query.signal;
    if (signal !== undefined && signal !== 'loss' && signal !== 'latency' && signal !== 'cert') {
      res.status(400).json({ error: `signal ${JSON.stringify(signal)}: expected loss, latency or cert` });
      return;
    }
    res.json((await deps.faults.list({ status, limit, signals: signal ? [signal] : SIGNALS })).map(contractEpisode));
  });

  // one episode, with its path diagnosis once there is one: by uid (type:key@start), or by contract id (the newest)
  router.get('/api/v1/faults/:id', ...read, async (req, res) => {
    const id = String(req.params.id);
    const e = id.includes('@') ? await deps.faults.get(id) : (await deps.faults.list({ status: 'all', limit: 10_000 })).find((x) => x.id === id) ?? null;
    if (!e) {
      res.status(404).json({ error: `no fault ${JSON.stringify(id)}` });
      return;
    }
    res.json(contractEpisode(e));
  });

  router.get('/api/v1/whitelist', ...read, async (req, res) => {
    const now = deps.now();
    const search = typeof req.query.search === 'string' && req.query.search ? req.query.search : undefined;
    const includeExpired = req.query.expired === '1' || req.query.expired === 'true';
    const list = await deps.admin.listWhitelist({ search, includeExpired, now: new Date(now).toISOString() });
    res.json({ entries: list.map((e) => entryJson(e, now)) });
  });

  router.get('/api/v1/whitelist/audit', ...read, async (req, res) => {
    const entryId = req.query.entry === undefined ? undefined : Number(req.query.entry);
    res.json({ audit: await deps.admin.audit({ entryId: Number.isInteger(entryId) ? entryId : undefined, limit: 500 }) });
  });

  router.post('/api/v1/whitelist', ...write, async (req, res) => {
    const parsed = parseWhitelistInput(req.body, deps.catalog(), deps.now(), true);
    if (!parsed.ok) {
      res.status(400).json({ error: parsed.errors.map((e) => e.message).join('; '), fields: parsed.errors });
      return;
    }
    const user = principalOf(res)!.user;
    const entry = await deps.admin.addWhitelist(parsed.input, user, parsed.input.reason);
    changes.inc({ action: 'create' });
    deps.log.info({ user, entry: entry.id, via: principalOf(res)!.via }, 'whitelist entry added');
    res.status(201).setHeader('Location', `/api/v1/whitelist/${entry.id}`).json(entryJson(entry, deps.now()));
  });

  router.put('/api/v1/whitelist/:id', ...write, async (req, res) => {
    if (!/^\d{1,12}$/.test(req.params.id as string)) {
      res.status(400).json({ error: `id ${JSON.stringify(req.params.id)}: expected a number` });
      return;
    }
    const parsed = parseWhitelistInput(req.body, deps.catalog(), deps.now(), false);
    if (!parsed.ok) {
      res.status(400).json({ error: parsed.errors.map((e) => e.message).join('; '), fields: parsed.errors });
      return;
    }
    const user = principalOf(res)!.user;
    const why = reasonOf((req.body as Record<string, unknown>).why) || parsed.input.reason;
    const entry = await deps.admin.updateWhitelist(Number(req.params.id), parsed.input, user, why);
    if (!entry) {
      res.status(404).json({ error: `no whitelist entry ${req.params.id}` });
      return;
    }
    changes.inc({ action: 'update' });
    res.json(entryJson(entry, deps.now()));
  });

  router.delete('/api/v1/whitelist/:id', ...write, async (req, res) => {
    if (!/^\d{1,12}$/.test(req.params.id as string)) {
      res.status(400).json({ error: `id ${JSON.stringify(req.params.id)}: expected a number` });
      return;
    }
    const why = reasonOf((req.body as Record<string, unknown> | undefined)?.reason) || reasonOf(req.query.reason) || 'deleted through the API';
    const user = principalOf(res)!.user;
    if (!(await deps.admin.deleteWhitelist(Number(req.params.id), user, why))) {
      res.status(404).json({ error: `no whitelist entry ${req.params.id}` });
      return;
    }
    changes.inc({ action: 'delete' });
    deps.log.info({ user, entry: Number(req.params.id), via: principalOf(res)!.via }, 'whitelist entry deleted');
    res.status(204).end();
  });

  return router;
}
