// Messages -> outbox deliveries: one per (message, notifier that carries it). Pure.
import type { Notifier } from './notifiers/notifier.js';
import type { NewAlertDelivery as NewDelivery } from './outbox/index.js';
import { render, subjectOf, type RenderConfig } from './render.js';
import type { AlertMessage } from './types.js';

/** With `text`, each stored message carries its plain-text body, so the web's outbox page can show it (web cannot render). */
export function deliveriesOf(messages: AlertMessage[], notifiers: Notifier[], text?: RenderConfig): NewDelivery[] {
  const out: NewDelivery[] = [];
  messages.forEach((plain, i) => {
    const m = text ? { ...plain, body: render(plain, text).text } : plain;
    for (const n of notifiers) {
      if (!n.accepts(m)) continue;
      const id = `${m.id}>${n.name}`;
      out.push({
        id, messageId: m.id, notifier: n.name,
        // informational messages for the same recipients and digest time travel together
        group: m.severity === 'critical' ? id : `digest|${n.name}|${m.audienceKey}|${m.to.join(',')}|${new Date(m.deliverAt).toISOString()}`,
        order: `${String(m.at).padStart(15, '0')}:${String(i).padStart(6, '0')}`,
        deliverAt: m.deliverAt,
        subject: subjectOf(m),
        message: m,
      });
    }
  });
  return out;
}
