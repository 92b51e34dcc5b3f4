// Messages -> outbox deliveries: one per (message, notifier that carries it). Pure.
import type { Notifier } from './notifiers/notifier.js';
import type { NewAlertDelivery as NewDelivery } from './outbox/index.js';
import { subjectOf } from './render.js';
import type { AlertMessage } from './types.js';

export function deliveriesOf(messages: AlertMessage[], notifiers: Notifier[]): NewDelivery[] {
  const out: NewDelivery[] = [];
  messages.forEach((m, i) => {
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
