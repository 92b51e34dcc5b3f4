// The outbox page: the alert messages the alerter produced (one row per message and channel) and how their
// delivery went, read from the alerter's outbox store.
import { Router } from 'express';
import type { Access } from '../auth/access.js';
import { identify, requirePageLogin } from '../auth/guards.js';
import { ctxOf, sendPage, type WebDeps } from '../deps.js';
import { html } from '../html.js';
import { securityHeaders } from '../security.js';
import { page } from '../views/layout.js';
import { messageView, outboxTable } from '../views/outbox.js';

/** The newest deliveries shown: a long incident's messages, small enough to render at once. */
const SHOWN = 500;

export function outboxPages(deps: WebDeps, access: Access): Router {
  const router = Router();
  router.get('/outbox', securityHeaders, identify(access, false), requirePageLogin, async (req, res) => {
    const [shown, counts] = await Promise.all([deps.outbox.recent(SHOWN), deps.outbox.counts()]);
    const total = counts.pending + counts.done;
    const channels = deps.config.alerting;
    const where = [channels.smtp ? `SMTP ${channels.smtp.host}:${channels.smtp.port}` : '', channels.emlDir ? `.eml files in ${channels.emlDir}` : '',
      ...channels.webhooks.map((w) => `webhook ${w.name}`)].filter(Boolean);
    sendPage(res, page(ctxOf(req, res), 'Outbox', html`
<p class="muted">Alert messages, newest first: one row per message and channel. Channels: ${where.length ? where.join('; ') : 'none configured, so the alerter keeps and sends no message (set alerting.smtp, alerting.webhooks or alerting.emlDir)'}. Times are UTC.</p>
<h2>Messages <span class="count">${counts.done} sent, ${counts.pending} pending${total > SHOWN ? `, newest ${SHOWN} of ${total} shown` : ''}</span></h2>
${outboxTable(shown, deps.now())}`, { wide: true }));
  });
  // one delivery with its body (what the recipient read); 404 for an id the outbox does not hold
  router.get('/outbox/:id', securityHeaders, identify(access, false), requirePageLogin, async (req, res) => {
    const id = String(req.params.id);
    const d = await deps.outbox.get(id);
    if (!d) {
      return sendPage(res, page(ctxOf(req, res), 'Message not found', html`<p>No message <code>${id}</code> in the outbox. <a href="/outbox">All messages</a></p>`), 404);
    }
    sendPage(res, page(ctxOf(req, res), 'Message', html`<p><a href="/outbox">← Outbox</a></p>
${messageView(d, deps.now())}`, { wide: true }));
  });
  return router;
}
