import assert from 'node:assert/strict';
import { test } from 'node:test';
import { policyContext } from '../../analyzer/alerting/context.js';
import { initialState, step, type PolicyState } from '../../analyzer/alerting/policy.js';
import type { AlertMessage } from '../../analyzer/alerting/types.js';
import type { FaultTransition } from '../../core/model.js';
import { catalog, closed, config, dcOutage, episode, MIN, opened, T0 } from './fixtures/world.js';

const ctx = policyContext(config(), catalog);
const keys = (ms: AlertMessage[]) => ms.map((m) => `${m.kind} ${m.fault.id} ${m.audienceKey}`);

/** Runs the policy over every minute from..to, with the transitions of each minute. */
function run(state: PolicyState, from: number, to: number, ts: FaultTransition[], c = ctx) {
  const out: AlertMessage[] = [];
  for (let m = from; m <= to; m += MIN) {
    const r = step(state, ts.filter((t) => t.minute === m), m, c);
    state = r.state;
    out.push(...r.messages);
  }
  return { state, messages: out };
}

test('open, hourly reminders, one recovery to each earlier recipient', () => {
  const { dc, vips } = dcOutage();
  const openAt = T0 + 2 * MIN;
  const closeAt = openAt + 150 * MIN;
  const r = run(initialState(), openAt, closeAt, [...opened(openAt, [dc, ...vips]), ...closed(closeAt, [dc, ...vips])]);
  const open = r.messages.filter((m) => m.kind === 'open');
  const reminders = r.messages.filter((m) => m.kind === 'reminder');
  const recovery = r.messages.filter((m) => m.kind === 'recovery');
  assert.deepEqual(keys(open), ['open dc:bj-zw business:pay', 'open dc:bj-zw business:search', 'open dc:bj-zw business:video', 'open dc:bj-zw network']);
  assert.equal(open[0]!.at, openAt);
  // 150 minutes open: reminders at +60 and +120, to each of the four audiences
  assert.equal(reminders.length, 8);
  assert.deepEqual([...new Set(reminders.map((m) => m.at - openAt))], [60 * MIN, 120 * MIN]);
  assert.deepEqual(keys(recovery), keys(open).map((k) => k.replace('open', 'recovery')));
  assert.equal(recovery[0]!.fault.end !== null, true);
  assert.deepEqual(r.state.faults, {}, 'closed faults leave the state');
  assert.equal(new Set(r.messages.map((m) => m.id)).size, r.messages.length, 'ids are unique');
});

test('state survives a JSON round trip: a restart neither loses nor repeats a message, a re-run minute sends nothing', () => {
  const { dc, vips } = dcOutage();
  const ts = [...opened(T0, [dc, ...vips]), ...closed(T0 + 90 * MIN, [dc, ...vips])];
  const straight = run(initialState(), T0, T0 + 90 * MIN, ts).messages;
  const first = run(initialState(), T0, T0 + 30 * MIN, ts);
  const restored = JSON.parse(JSON.stringify(first.state)) as PolicyState;
  // the analyzer re-runs minute T0+30 after a crash: nothing again
  assert.deepEqual(step(restored, ts.filter((t) => t.minute === T0 + 30 * MIN), T0 + 30 * MIN, ctx).messages, []);
  const frozen = JSON.stringify(restored);
  const rest = run(restored, T0 + 31 * MIN, T0 + 90 * MIN, ts).messages;
  assert.equal(JSON.stringify(restored), frozen, 'step never changes the state it was given');
  assert.deepEqual([...first.messages, ...rest].map((m) => m.id), straight.map((m) => m.id));
});

test('suppressed faults send nothing; a child never sends alone', () => {
  const { dc, vips } = dcOutage({ suppressed: true });
  const r = run(initialState(), T0, T0 + 200 * MIN, [...opened(T0, [dc, ...vips]), ...closed(T0 + 200 * MIN, [dc, ...vips])]);
  assert.deepEqual(r.messages, []);
  const child = dcOutage().vips[0]!;
  assert.deepEqual(run(initialState(), T0, T0 + 100 * MIN, opened(T0, [child])).messages, []);
});

test('a business newly covered by an update gets its open message once; a fault that becomes a child stops reminding', () => {
  const v = episode({ type: 'vip', key: '203.0.113.10', isps: ['ct'], vips: ['203.0.113.10'], businesses: ['search'], dcs: ['bj-zw'] });
  const { dc } = dcOutage();
  const ts: FaultTransition[] = [
    ...opened(T0, [v]),
    { kind: 'open', minute: T0 + 3 * MIN, episode: dc },
    { kind: 'update', minute: T0 + 3 * MIN, episode: { ...v, parent: dc.id } },
  ];
  const r = run(initialState(), T0, T0 + 70 * MIN, ts);
  assert.deepEqual(keys(r.messages.filter((m) => m.at <= T0 + 3 * MIN)), [
    'open vip:203.0.113.10 business:search',
    'open dc:bj-zw business:pay', 'open dc:bj-zw business:search', 'open dc:bj-zw business:video', 'open dc:bj-zw network',
  ]);
  // at T0+60 the VIP fault is a child: no reminder for it; the DC fault reminds at T0+63
  assert.deepEqual(r.messages.filter((m) => m.kind === 'reminder').map((m) => [m.fault.id, m.at - T0]),
    Array(4).fill(['dc:bj-zw', 63 * MIN]));
  // its earlier recipient still hears that it ended
  const end = step(r.state, closed(T0 + 71 * MIN, [{ ...v, parent: dc.id }]), T0 + 71 * MIN, ctx).messages;
  assert.deepEqual(keys(end), ['recovery vip:203.0.113.10 business:search']);
});

test('maintenance windows suppress like whitelist entries; a fault that outlasts one is alerted then', () => {
  const c = policyContext(config({ maintenance: [{ start: '2026-11-23T14:00', duration: '30m', dc: 'bj-zw' }] }), catalog);
  const { dc, vips } = dcOutage();
  const r = run(initialState(), T0, T0 + 40 * MIN, opened(T0, [dc, ...vips]), c);
  assert.equal(r.messages.length, 4);
  assert.deepEqual([...new Set(r.messages.map((m) => new Date(m.at).toISOString()))], ['2026-11-23T14:30:00.000Z']);
  const short = run(initialState(), T0, T0 + 20 * MIN, [...opened(T0, [dc, ...vips]), ...closed(T0 + 20 * MIN, [dc, ...vips])], c);
  assert.deepEqual(short.messages, [], 'over within the window: nothing at all');
});

test('severity: informational faults wait for the digest, critical ones go now; configurable per type', () => {
  const region = episode({ type: 'region', key: 'hebei/ct', isps: ['ct'], provinces: ['hebei'] });
  const m = step(initialState(), opened(T0, [region]), T0, ctx).messages;
  assert.deepEqual(m.map((x) => [x.severity, x.audienceKey, new Date(x.deliverAt).toISOString()]),
    [['informational', 'network', '2026-11-24T01:00:00.000Z']]);
  const loud = policyContext(config({ severities: { region: 'critical' } }), catalog);
  const n = step(initialState(), opened(T0, [region]), T0, loud).messages;
  assert.deepEqual(n.map((x) => [x.severity, x.deliverAt]), [['critical', T0]]);
});

test('the config is checked: a reminder shorter than a minute or an impossible window start names the field', () => {
  assert.throws(() => policyContext(config({ reminderInterval: '10s' }), catalog), /alerting\.reminderInterval.*10s/);
  assert.throws(() => policyContext(config({ maintenance: [{ start: '2026-13-01T00:00', duration: '1h' }] }), catalog), /alerting\.maintenance\.0\.start/);
  assert.throws(() => config({ maintenance: [{ start: 'tonight', duration: '1h' }] }), /alerting\.maintenance\.0\.start/);
  assert.throws(() => config({ digest: { timeZone: 'Mars/Olympus' } }), /alerting\.digest\.timeZone.*Mars/);
});
