// Whitelist screens: the list with search, the add and edit forms, and the audit log.
import type { Catalog } from '../../core/catalog.js';
import type { AuditRecord, StoredWhitelistEntry } from '../../core/store/admin.js';
import { html, type Html } from '../html.js';
import { isExpired, SCOPES, scopeOf, type FieldError } from '../whitelist-input.js';
import { fmtAgo, fmtTime } from './format.js';
import { csrfField, type PageContext } from './layout.js';

export interface FormValues { scope: string; value: string; reason: string; until: string; why?: string }

export const emptyForm: FormValues = { scope: 'vip', value: '', reason: '', until: '' };

/** "2026-11-23T18:00" for a datetime-local field (UTC). */
export const untilField = (iso: string | null): string => (iso ? new Date(iso).toISOString().slice(0, 16) : '');

export const valuesOf = (e: StoredWhitelistEntry): FormValues => {
  const [scope, value] = scopeOf(e);
  return { scope, value, reason: e.reason, until: untilField(e.until) };
};

const errorsFor = (errors: FieldError[]): Html =>
  errors.length ? html`<ul class="notice bad" role="alert">${errors.map((e) => html`<li>${e.message}</li>`)}</ul>` : html``;

/** Suggestions for the value field: the browser shows the list matching the chosen scope (app.js switches it). */
export const datalists = (catalog: Catalog): Html => html`
<datalist id="list-vip">${[...catalog.vips.values()].map((v) => html`<option value="${v.ip}">${v.business} · ${v.dc}</option>`)}</datalist>
<datalist id="list-dc">${[...new Set([...catalog.vips.values()].map((v) => v.dc))].sort().map((d) => html`<option value="${d}"></option>`)}</datalist>
<datalist id="list-business">${[...catalog.businesses.keys()].map((b) => html`<option value="${b}"></option>`)}</datalist>`;

export function entryForm(ctx: PageContext, action: string, v: FormValues, errors: FieldError[], submit: string, withWhy: boolean): Html {
  return html`
<form method="post" action="${action}" class="card entry-form" data-scope-form>
  ${errorsFor(errors)}
  ${csrfField(ctx)}
  <div class="row">
    <label>Scope <select name="scope">${SCOPES.map((s) => html`<option value="${s}" ${s === v.scope ? html`selected` : ''}>${s === 'dc' ? 'DC' : s === 'vip' ? 'VIP' : 'business'}</option>`)}</select></label>
    <label class="grow">Value <input name="value" value="${v.value}" list="list-${v.scope}" required placeholder="VIP address, DC id or business name"></label>
    <label>Until (UTC, optional) <input name="until" type="datetime-local" value="${v.until}"></label>
  </div>
  <div class="row">
    <label class="grow">Reason <input name="reason" value="${v.reason}" required maxlength="500" placeholder="why faults here should not alert"></label>
    ${withWhy ? html`<label class="grow">Why this change <input name="why" value="${v.why ?? ''}" maxlength="500" placeholder="for the audit log"></label>` : ''}
    <button type="submit" class="primary">${submit}</button>
  </div>
</form>`;
}

export function entriesTable(ctx: PageContext, entries: StoredWhitelistEntry[], now: number): Html {
  const admin = ctx.principal?.role === 'admin';
  if (!entries.length) return html`<p class="muted">No entries.</p>`;
  return html`
<table class="list whitelist">
<thead><tr><th>#</th><th>Scope</th><th>Reason</th><th>Until</th><th>Author</th><th>Created</th>${admin ? html`<th></th>` : ''}</tr></thead>
<tbody>${entries.map((e) => {
    const [scope, value] = scopeOf(e);
    const expired = isExpired(e, now);
    return html`<tr class="${expired ? 'expired' : ''}" data-entry="${e.id}">
  <td>${e.id}</td>
  <td><span class="tag">${scope}</span> <code>${value}</code></td>
  <td>${e.reason}</td>
  <td>${e.until ? html`${fmtTime(e.until)} ${expired ? html`<span class="badge expired">expired</span>` : html`<span class="muted">(${fmtAgo(e.until, now)})</span>`}` : html`<span class="muted">no expiry</span>`}</td>
  <td>${e.author}</td>
  <td title="${e.createdAt}">${fmtTime(e.createdAt)}</td>
  ${admin ? html`<td class="actions"><a class="button" href="/whitelist/${e.id}/edit">Edit</a>
    <form method="post" action="/whitelist/${e.id}/delete" class="inline" data-confirm="Delete whitelist entry #${e.id} (${scope} ${value})?">
      ${csrfField(ctx)}<input name="why" placeholder="why delete" aria-label="why delete" maxlength="500" required><button type="submit" class="danger">Delete</button>
    </form></td>` : ''}
</tr>`;
  })}</tbody></table>`;
}

/** The entry in words; its reason only when the audit's "why" does not already say it. */
const describe = (e: StoredWhitelistEntry | null, why: string): string => {
  if (!e) return '';
  const [scope, value] = scopeOf(e);
  return `${scope} ${value}${e.until ? ` until ${fmtTime(e.until)}` : ''}${e.reason !== why ? `: “${e.reason}”` : ''}`;
};

/** What changed: the whole entry for create and delete, the changed fields for an update. */
function what(a: AuditRecord): string {
  if (a.action !== 'update' || !a.before || !a.after) return describe(a.after ?? a.before, a.why);
  const [s0, v0] = scopeOf(a.before), [s1, v1] = scopeOf(a.after);
  const changes: string[] = [];
  if (s0 !== s1 || v0 !== v1) changes.push(`${s0} ${v0} → ${s1} ${v1}`);
  if (a.before.reason !== a.after.reason) changes.push(`reason “${a.before.reason}” → “${a.after.reason}”`);
  if (a.before.until !== a.after.until) changes.push(`until ${fmtTime(a.before.until) || 'none'} → ${fmtTime(a.after.until) || 'none'}`);
  return `${s1} ${v1}: ${changes.join('; ') || 'no field changed'}`;
}

export function auditTable(records: AuditRecord[]): Html {
  if (!records.length) return html`<p class="muted">No changes yet.</p>`;
  return html`
<table class="list audit">
<thead><tr><th>When</th><th>Who</th><th>Action</th><th>Entry</th><th>What</th><th>Why</th></tr></thead>
<tbody>${records.map((a) => html`<tr>
  <td title="${a.at}">${fmtTime(a.at)}</td><td>${a.actor}</td><td><span class="tag action-${a.action}">${a.action}</span></td>
  <td>#${a.entryId}</td><td>${what(a)}</td><td>${a.why}</td></tr>`)}</tbody></table>`;
}
