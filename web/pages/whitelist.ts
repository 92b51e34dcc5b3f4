// Whitelist admin pages: everyone signed in can read; admins add, edit and delete, each change audited with a reason.
import { Router, urlencoded, type Request, type Response } from 'express';
import type { Counter } from 'prom-client';
import type { Access } from '../auth/access.js';
import { identify, principalOf, requireAdmin, requireCsrf, requirePageLogin } from '../auth/guards.js';
import { ctxOf, sendPage, type WebDeps } from '../deps.js';
import { html } from '../html.js';
import { securityHeaders } from '../security.js';
import { page, messagePage } from '../views/layout.js';
import { auditTable, datalists, emptyForm, entriesTable, entryForm, valuesOf, type FormValues } from '../views/whitelist.js';
import { parseWhitelistInput } from '../whitelist-input.js';

const DONE: Record<string, string> = { added: 'added', updated: 'updated', deleted: 'deleted' };

export function whitelistPages(deps: WebDeps, access: Access, changes: Counter): Router {
  const router = Router();
  const read = [securityHeaders, identify(access, false), requirePageLogin];
  const write = [securityHeaders, urlencoded({ extended: false, limit: '16kb' }), identify(access, false), requireAdmin(false), requireCsrf(false)];
  const formValues = (b: Record<string, unknown>): FormValues => ({
    scope: String(b.scope ?? 'vip'), value: String(b.value ?? ''), reason: String(b.reason ?? ''), until: String(b.until ?? ''), why: String(b.why ?? ''),
  });
  const findEntry = async (id: number) => (await deps.admin.listWhitelist({ includeExpired: true })).find((e) => e.id === id) ?? null;
  const idOf = (req: Request): number => (/^\d{1,12}$/.test(String(req.params.id)) ? Number(req.params.id) : NaN);

  const listPage = async (req: Request, res: Response, status: number, form: FormValues, errors: Parameters<typeof entryForm>[3]) => {
    const ctx = ctxOf(req, res);
    const q = typeof req.query.q === 'string' ? req.query.q.trim().slice(0, 200) : '';
    const hideExpired = req.query.active === '1';
    const now = deps.now();
    const [entries, audit] = await Promise.all([
      deps.admin.listWhitelist({ search: q || undefined, includeExpired: !hideExpired, now: new Date(now).toISOString() }),
      deps.admin.audit({ limit: 50 }),
    ]);
    const done = /^(added|updated|deleted)-(\d+)$/.exec(String(req.query.done ?? ''));
    const admin = ctx.principal?.role === 'admin';
    sendPage(res, page(ctx, 'Whitelist', html`
${done ? html`<p class="notice ok" role="status">Entry #${done[2]!} ${DONE[done[1]!]!}.</p>` : ''}
<p class="muted">Faults covered by an entry are still recorded and shown, but not alerted. Times are UTC.</p>
${admin ? html`<h2>Add an entry</h2>${entryForm(ctx, '/whitelist', form, errors, 'Add', false)}${datalists(deps.catalog())}` : html`<p class="notice">You can read the whitelist; changing it needs the admin role.</p>`}
<h2>Entries</h2>
<form method="get" action="/whitelist" class="search">
  <input name="q" value="${q}" placeholder="search VIP, DC, business, reason, author" aria-label="search">
  <label class="check"><input type="checkbox" name="active" value="1" ${hideExpired ? html`checked` : ''}> hide expired</label>
  <button type="submit">Search</button>
</form>
${entriesTable(ctx, entries, now)}
<h2>Audit log</h2>
${auditTable(audit)}`, { scripts: ['app.js'] }), status);
  };

  router.get('/whitelist', ...read, async (req, res) => {
    await listPage(req, res, 200, emptyForm, []);
  });

  router.post('/whitelist', ...write, async (req, res) => {
    const body = (req.body ?? {}) as Record<string, unknown>;
    const parsed = parseWhitelistInput(body, deps.catalog(), deps.now(), true);
    if (!parsed.ok) return await listPage(req, res, 400, formValues(body), parsed.errors);
    const user = principalOf(res)!.user;
    const entry = await deps.admin.addWhitelist(parsed.input, user, parsed.input.reason);
    changes.inc({ action: 'create' });
    deps.log.info({ user, entry: entry.id }, 'whitelist entry added');
    res.redirect(303, `/whitelist?done=added-${entry.id}`);
  });

  const editPage = async (req: Request, res: Response, id: number, status: number, form: FormValues | null, errors: Parameters<typeof entryForm>[3]) => {
    const ctx = ctxOf(req, res);
    const entry = Number.isFinite(id) ? await findEntry(id) : null;
    if (!entry) return sendPage(res, messagePage(ctx, 'Not found', `There is no whitelist entry #${req.params.id}.`), 404);
    const history = await deps.admin.audit({ entryId: id, limit: 100 });
    sendPage(res, page(ctx, `Whitelist entry #${id}`, html`
${entryForm(ctx, `/whitelist/${id}`, form ?? valuesOf(entry), errors, 'Save', true)}${datalists(deps.catalog())}
<p><a href="/whitelist">Back to the whitelist</a></p>
<h2>History of this entry</h2>${auditTable(history)}`, { scripts: ['app.js'] }), status);
  };

  router.get('/whitelist/:id/edit', ...read, requireAdmin(false), async (req, res) => {
    await editPage(req, res, idOf(req), 200, null, []);
  });

  router.post('/whitelist/:id', ...write, async (req, res) => {
    const id = idOf(req);
    const body = (req.body ?? {}) as Record<string, unknown>;
    const parsed = parseWhitelistInput(body, deps.catalog(), deps.now(), false);
    if (!parsed.ok) return await editPage(req, res, id, 400, formValues(body), parsed.errors);
    const user = principalOf(res)!.user;
    const why = String(body.why ?? '').trim().slice(0, 500) || parsed.input.reason;
    const entry = Number.isFinite(id) ? await deps.admin.updateWhitelist(id, parsed.input, user, why) : null;
    if (!entry) return sendPage(res, messagePage(ctxOf(req, res), 'Not found', `There is no whitelist entry #${req.params.id}.`), 404);
    changes.inc({ action: 'update' });
    deps.log.info({ user, entry: id }, 'whitelist entry updated');
    res.redirect(303, `/whitelist?done=updated-${id}`);
  });

  router.post('/whitelist/:id/delete', ...write, async (req, res) => {
    const id = idOf(req);
    const body = (req.body ?? {}) as Record<string, unknown>;
    const why = String(body.why ?? '').trim().slice(0, 500);
    if (!why) return sendPage(res, messagePage(ctxOf(req, res), 'Reason needed', 'Say why the entry is deleted: it goes to the audit log.'), 400);
    const user = principalOf(res)!.user;
    const ok = Number.isFinite(id) && (await deps.admin.deleteWhitelist(id, user, why));
    if (!ok) return sendPage(res, messagePage(ctxOf(req, res), 'Not found', `There is no whitelist entry #${req.params.id}.`), 404);
    changes.inc({ action: 'delete' });
    deps.log.info({ user, entry: id }, 'whitelist entry deleted');
    res.redirect(303, `/whitelist?done=deleted-${id}`);
  });

  return router;
}
