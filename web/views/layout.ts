// The page frame every screen shares: header with navigation, the signed-in user, and the logout form.
import type { Principal } from '../auth/access.js';
import { html, type Html } from '../html.js';

export interface PageContext {
  principal: Principal | null;
  /** current path, to mark the active tab */
  path: string;
}

const NAV: Array<[string, string]> = [['/board', 'Board'], ['/faults', 'Faults'], ['/vips', 'VIPs'], ['/whitelist', 'Whitelist'], ['/outbox', 'Outbox'], ['/probes', 'Probes']];

export const csrfField = (ctx: PageContext): Html =>
  html`<input type="hidden" name="_csrf" value="${ctx.principal?.session?.csrf ?? ''}">`;

export function page(ctx: PageContext, title: string, body: Html, opts: { scripts?: string[]; styles?: string[]; wide?: boolean; banner?: Html } = {}): string {
  const p = ctx.principal;
  return html`<!doctype html>
<html lang="en"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width, initial-scale=1">
<title>${title} · vipwatch</title><link rel="icon" href="/favicon.svg" type="image/svg+xml">
${(opts.styles ?? []).map((s) => html`<link rel="stylesheet" href="/assets/${s}">`)}<link rel="stylesheet" href="/assets/style.css">
${(opts.scripts ?? []).map((s) => html`<script src="/assets/${s}" defer></script>`)}
</head><body>
<header class="top">
  <a class="brand" href="/board">vipwatch</a>
  ${p ? html`<nav>${NAV.map(([href, label]) => html`<a href="${href}" class="${ctx.path.startsWith(href) ? 'active' : ''}">${label}</a>`)}</nav>
  <form class="vipgo" action="/vips" method="get"><input name="q" placeholder="VIP address" aria-label="VIP address"></form>
  <span class="who">${p.user} <span class="role role-${p.role}">${p.role}</span></span>
  ${p.session ? html`<form method="post" action="/logout" class="logout">${csrfField(ctx)}<button type="submit">Log out</button></form>` : ''}` : ''}
</header>
${opts.banner ?? ''}
<main class="${opts.wide ? 'wide' : ''}">
<h1>${title}</h1>
${body}
</main></body></html>`.text;
}

/** A short page for refusals and errors (403, 404, 429) that keeps the navigation. */
export const messagePage = (ctx: PageContext, title: string, message: string): string =>
  page(ctx, title, html`<p class="notice bad">${message}</p><p><a href="/board">Back to the board</a></p>`);
