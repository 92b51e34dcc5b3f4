// The live alerter: runs the pure policy each minute, stores its state and new messages in the outbox in one
// commit, then lets the deliverer send them. Re-running a minute (after a crash) is a no-op.
import type { Diagnosis } from '../../core/diagnosis.js';
import type { FaultEpisode, FaultTransition } from '../../core/model.js';
import { followUpMessages } from './followup.js';
import type { Logger } from '../../core/log.js';
import { Counter, type Registry } from 'prom-client';
import { deliveriesOf } from './expand.js';
import type { Notifier } from './notifiers/notifier.js';
import type { Deliverer, PassResult } from './outbox/deliver.js';
import type { AlertOutbox } from './outbox/index.js';
import { initialState, step, type PolicyContext, type PolicyState } from './policy.js';
import type { RenderConfig } from './render.js';
import type { AlertMessage } from './types.js';

export interface AlerterOptions {
  store: AlertOutbox;
  deliverer: Deliverer;
  notifiers: Notifier[];
  context: PolicyContext;
  log: Logger;
  registry?: Registry;
  /** links and time zone for the plain-text body stored with each message (the web's outbox page shows it) */
  render?: RenderConfig;
}

export class Alerter {
  private state: PolicyState = initialState();
  private readonly produced?: Counter<'kind' | 'severity'>;

  constructor(private readonly o: AlerterOptions) {
    if (o.registry) {
      this.produced = new Counter({ name: 'vipwatch_alert_messages_total', help: 'Alert messages produced, by kind and severity', labelNames: ['kind', 'severity'], registers: [o.registry] });
    }
  }

  /** Opens the outbox and picks up the stored state (after a restart: where the last run left off). */
  async init(): Promise<void> {
    await this.o.store.init();
    this.state = (await this.o.store.loadState()) ?? initialState();
  }

  /** A changed inventory's routing (its VIPs and their owners), used from the next minute on. */
  setContext(context: PolicyContext): void {
    this.o.context = context;
  }

  get lastMinute(): number | null {
    return this.state.lastMinute;
  }

  /**
   * Handles one evaluated minute: call it for every minute (also with no transitions, for reminders), before the
   * analyzer checkpoints that minute. Resolves once the messages are durably in the outbox; delivery follows.
   */
  async onMinute(minute: number, transitions: FaultTransition[]): Promise<AlertMessage[]> {
    const { state, messages } = step(this.state, transitions, minute, this.o.context);
    if (state === this.state) return [];
    await this.o.store.commit(state, deliveriesOf(messages, this.o.notifiers, this.o.render));
    this.state = state;
    for (const m of messages) this.produced?.inc({ kind: m.kind, severity: m.severity });
    if (messages.length) {
      this.o.log.info({ minute: new Date(minute).toISOString(), messages: messages.length }, 'alert messages queued');
      this.o.deliverer.deliverDue().catch((e: Error) => this.o.log.error({ err: e.message }, 'outbox delivery pass failed'));
    }
    return messages;
  }

  /**
   * Path capture's follow-up: the diagnosis to everyone the fault's opening went to (none when it alerted nobody,
   * e.g. a whitelisted fault). Stored in the outbox like any message, then delivered.
   */
  async followUp(uid: string, fault: FaultEpisode, diagnosis: Diagnosis, at: number): Promise<AlertMessage[]> {
    const opens = (await this.o.store.list()).map((d) => d.message).filter((m) => m.uid === uid && m.kind === 'open');
    const messages = followUpMessages(opens, fault, diagnosis, at);
    if (!messages.length) return [];
    await this.o.store.commit(this.state, deliveriesOf(messages, this.o.notifiers, this.o.render));
    for (const m of messages) this.produced?.inc({ kind: m.kind, severity: m.severity });
    this.o.log.info({ fault: uid, messages: messages.length }, 'path diagnosis messages queued');
    this.o.deliverer.deliverDue().catch((e: Error) => this.o.log.error({ err: e.message }, 'outbox delivery pass failed'));
    return messages;
  }

  /** Sends what is due now (also what an earlier run left pending). */
  deliverDue(): Promise<PassResult> {
    return this.o.deliverer.deliverDue();
  }

  start(pollMs: number): void {
    this.o.deliverer.start(pollMs);
  }

  async close(): Promise<void> {
    await this.o.deliverer.stop();
    for (const n of this.o.notifiers) n.close?.();
    await this.o.store.close();
  }
}
