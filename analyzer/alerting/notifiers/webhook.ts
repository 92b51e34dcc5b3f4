// Webhook: a JSON POST per envelope (chat bots, or automation such as StackStorm failing a VIP over).
import axios, { type AxiosInstance } from 'axios';
import type { AlertingConfig } from '../../../core/config.js';
import { scrubUrls, urlOrigin } from '../../../core/redact.js';
import { faultLink, vipBoardLink, vipPageLink, type LinkConfig } from '../links.js';
import type { AlertMessage } from '../types.js';
import type { Envelope, Notifier } from './notifier.js';

export type WebhookConfig = AlertingConfig['webhooks'][number];

/** The JSON body: the message with its fault, children, affected VIPs and links. */
export function webhookBody(e: Envelope, links: LinkConfig): Record<string, unknown> {
  const one = (m: AlertMessage) => ({
    id: m.id, kind: m.kind, severity: m.severity, audience: m.audience, to: m.to,
    at: new Date(m.at).toISOString(), uid: m.uid, fault: m.fault, children: m.children, vips: m.vips,
    ...(m.diagnosis ? { diagnosis: m.diagnosis } : {}),
    // the web UI's pages; Grafana boards only where alerting.grafanaUrl is set
    links: {
      fault: faultLink(links, m.uid), vips: Object.fromEntries(m.vips.map((v) => [v.ip, vipPageLink(links, v.ip)])),
      ...(links.grafanaUrl ? { grafana: Object.fromEntries(m.vips.map((v) => [v.ip, vipBoardLink(links, v.ip)])) } : {}),
    },
  });
  return e.digest ? { id: e.id, digest: true, messages: e.messages.map(one) } : { ...one(e.messages[0]!), id: e.id, digest: false };
}

export class WebhookNotifier implements Notifier {
  readonly name: string;
  private readonly http: AxiosInstance;

  constructor(private readonly hook: WebhookConfig, private readonly links: LinkConfig) {
    this.name = `webhook:${hook.name}`;
    this.http = axios.create({ timeout: hook.timeoutMs, maxRedirects: 0, validateStatus: (s) => s >= 200 && s < 300 });
  }

  accepts(): boolean {
    return true;
  }

  async send(envelope: Envelope): Promise<void> {
    try {
      await this.http.post(this.hook.url, webhookBody(envelope, this.links), {
        headers: { ...this.hook.headers, 'content-type': 'application/json', 'idempotency-key': envelope.id },
      });
    } catch (e) {
      // axios errors carry the whole request config; keep the text to what an operator needs, and name the hook by
      // its name and origin: its path and query often hold a token (this text goes to logs and the outbox page)
      const err = e as { response?: { status: number }; code?: string; message: string };
      throw new Error(`webhook ${this.hook.name} ${urlOrigin(this.hook.url)}: ${err.response ? `HTTP ${err.response.status}` : err.code ?? scrubUrls(err.message)}`);
    }
  }
}
