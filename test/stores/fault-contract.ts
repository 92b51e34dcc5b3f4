// The FaultStore contract: one suite every backend must pass. Each test gets a fresh, empty store from `open`.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { ValidationError } from '../../core/errors.js';
import type { FaultEpisode } from '../../core/model.js';
import { episodeUid, type EpisodeEvent, type FaultStore } from '../../core/store/faults.js';

export interface FaultHarness {
  store: FaultStore;
  /** the store's clock */
  setNow(d: Date): void;
  /** a second store instance on the same data, as after a restart */
  reopen(): Promise<FaultStore>;
  close(): Promise<void>;
}

export const episode = (o: Partial<FaultEpisode> = {}): FaultEpisode => ({
  id: 'vip:203.0.113.10', type: 'vip', key: '203.0.113.10',
  start: '2026-11-23T14:05:00Z', detectedAt: '2026-11-23T14:07:00Z', end: null,
  isps: ['ct'], provinces: ['guangdong', 'hunan'], dcs: ['bj-zw'], vips: ['203.0.113.10'], businesses: ['search'],
  parent: null, suppressed: false, ...o,
});

const vipEp = (n: number, start: string, o: Partial<FaultEpisode> = {}) =>
  episode({ id: `vip:203.0.113.${n}`, key: `203.0.113.${n}`, vips: [`203.0.113.${n}`], start, detectedAt: start, ...o });

export function faultStoreContract(open: () => Promise<FaultHarness>): void {
  const withStore = (name: string, fn: (h: FaultHarness) => Promise<void>) =>
    test(name, async (t) => {
      const h = await open();
      t.after(() => h.close());
      await fn(h);
    });

  withStore('upsert is idempotent and replaces the episode by uid', async ({ store }) => {
    const e = episode();
    const events: EpisodeEvent[] = [{ at: e.start, kind: 'open' }];
    await store.upsert([{ episode: e, events }]);
    await store.upsert([{ episode: e, events }]);
    let all = await store.list({ status: 'all' });
    assert.equal(all.length, 1);
    assert.equal(all[0]!.uid, episodeUid(e));
    assert.deepEqual(all[0]!.history, events);

    const grown = { ...e, provinces: ['guangdong', 'hunan', 'hubei'], isps: ['ct', 'cu'], parent: 'dc:bj-zw' };
    await store.upsert([{ episode: grown, events: [{ at: '2026-11-23T14:08:00Z', kind: 'update', detail: { provinces: 3 } }] }]);
    all = await store.list({ status: 'all' });
    assert.equal(all.length, 1);
    const { uid, history, updatedAt, ...stored } = all[0]!;
    assert.deepEqual(stored, grown);
    assert.equal(uid, `${e.id}@${e.start}`);
    assert.equal(history.length, 2);
    assert.ok(Number.isFinite(Date.parse(updatedAt)));
  });

  withStore('the same fault id in a later episode is a second episode', async ({ store }) => {
    await store.upsert([{ episode: episode({ end: '2026-11-23T14:20:00Z' }), events: [] }]);
    await store.upsert([{ episode: episode({ start: '2026-11-23T15:00:00Z', detectedAt: '2026-11-23T15:02:00Z' }), events: [] }]);
    const all = await store.list({ status: 'all' });
    assert.deepEqual(all.map((x) => x.uid), ['vip:203.0.113.10@2026-11-23T15:00:00Z', 'vip:203.0.113.10@2026-11-23T14:05:00Z']);
  });

  withStore('history keeps each event once, in time order, open before alert before close within a minute', async ({ store }) => {
    const e = episode();
    const alertA = { at: '2026-11-23T14:07:00Z', kind: 'alert' as const, detail: { to: ['a@example.com'], business: 'search' } };
    const alertB = { at: '2026-11-23T14:07:00Z', kind: 'alert' as const, detail: { to: ['noc@example.com'] } };
    await store.upsert([{ episode: e, events: [alertA, { at: '2026-11-23T14:07:00Z', kind: 'open' }] }]);
    // replayed, with the detail's keys in another order, plus one new event and one more alert of the same minute
    await store.upsert([{ episode: e, events: [
      { at: '2026-11-23T14:07:00Z', kind: 'open' },
      { at: alertA.at, kind: 'alert', detail: { business: 'search', to: ['a@example.com'] } },
      alertB,
      { at: '2026-11-23T14:30:00Z', kind: 'close' },
    ] }]);
    const got = await store.get(episodeUid(e));
    assert.ok(got);
    assert.deepEqual(got.history.map((h) => h.kind), ['open', 'alert', 'alert', 'close']);
    assert.deepEqual(got.history.filter((h) => h.kind === 'alert').map((h) => h.detail).sort((a, b) => JSON.stringify(a).localeCompare(JSON.stringify(b))),
      [alertA.detail, alertB.detail].sort((a, b) => JSON.stringify(a).localeCompare(JSON.stringify(b))));
    assert.equal(got.history[0]!.detail, undefined, 'an event without detail comes back without one');
  });

  withStore('list: open or all, newest start first, ties by uid, with limit and since', async ({ store }) => {
    await store.upsert([
      { episode: vipEp(1, '2026-11-23T14:00:00Z'), events: [] },
      { episode: vipEp(2, '2026-11-23T14:10:00Z', { end: '2026-11-23T14:30:00Z' }), events: [] },
      { episode: vipEp(4, '2026-11-23T14:20:00Z'), events: [] },
      { episode: vipEp(3, '2026-11-23T14:20:00Z'), events: [] },
      { episode: { ...vipEp(5, '2026-11-23T13:00:00Z'), type: 'dc', id: 'dc:bj-zw', key: 'bj-zw' }, events: [] },
    ]);
    const keys = (l: Array<{ key: string }>) => l.map((x) => x.key);
    assert.deepEqual(keys(await store.list({ status: 'all' })), ['203.0.113.3', '203.0.113.4', '203.0.113.2', '203.0.113.1', 'bj-zw']);
    assert.deepEqual(keys(await store.list({ status: 'open' })), ['203.0.113.3', '203.0.113.4', '203.0.113.1', 'bj-zw']);
    assert.deepEqual(keys(await store.list({ status: 'open', limit: 2 })), ['203.0.113.3', '203.0.113.4']);
    assert.deepEqual(keys(await store.list({ status: 'all', since: '2026-11-23T14:10:00Z' })), ['203.0.113.3', '203.0.113.4', '203.0.113.2']);
    assert.deepEqual(keys(await store.list({ status: 'open', since: '2026-11-23T14:10:00Z', limit: 1 })), ['203.0.113.3']);
    // closing an episode takes it out of the open list
    await store.upsert([{ episode: vipEp(3, '2026-11-23T14:20:00Z', { end: '2026-11-23T14:40:00Z' }), events: [{ at: '2026-11-23T14:40:00Z', kind: 'close' }] }]);
    assert.deepEqual(keys(await store.list({ status: 'open' })), ['203.0.113.4', '203.0.113.1', 'bj-zw']);
  });

  withStore('list by signals: an episode without a signal is loss; certificate warnings only when named', async ({ store }) => {
    const { signal: _, ...old } = vipEp(1, '2026-11-23T14:00:00Z');
    await store.upsert([
      { episode: old as FaultEpisode, events: [] },
      { episode: vipEp(2, '2026-11-23T14:01:00Z', { signal: 'loss' }), events: [] },
      { episode: vipEp(3, '2026-11-23T14:02:00Z', { id: 'vip:203.0.113.3:latency', signal: 'latency' }), events: [] },
      { episode: vipEp(4, '2026-11-23T14:03:00Z', { id: 'vip:203.0.113.4:cert', signal: 'cert' }), events: [] },
    ]);
    const keys = (l: Array<{ key: string }>) => l.map((x) => x.key);
    assert.deepEqual(keys(await store.list({ status: 'all', signals: ['loss'] })), ['203.0.113.2', '203.0.113.1']);
    assert.deepEqual(keys(await store.list({ status: 'all', signals: ['latency'] })), ['203.0.113.3']);
    assert.deepEqual(keys(await store.list({ status: 'all', signals: ['loss', 'latency'] })), ['203.0.113.3', '203.0.113.2', '203.0.113.1']);
    assert.deepEqual(keys(await store.list({ status: 'all', signals: ['cert'] })), ['203.0.113.4']);
    assert.deepEqual(keys(await store.list({ status: 'all' })), ['203.0.113.4', '203.0.113.3', '203.0.113.2', '203.0.113.1']);
  });

  withStore('get: an unknown uid is null', async ({ store }) => {
    assert.equal(await store.get('vip:198.18.0.1@2026-11-23T14:05:00Z'), null);
  });

  withStore('commitMinute stores episodes and checkpoint together; the checkpoint survives a restart', async (h) => {
    assert.equal(await h.store.checkpoint(), null);
    const m = Date.parse('2026-11-23T14:07:00Z');
    const state = { version: 1, windows: { 'v/p/i': [0, 1, 1, 0, 1] }, open: ['vip:203.0.113.10'], big: Array.from({ length: 50_000 }, (_, i) => i % 7) };
    await h.store.commitMinute([{ episode: episode(), events: [{ at: '2026-11-23T14:07:00Z', kind: 'open' }] }], { minute: m, state });
    assert.deepEqual(await h.store.checkpoint(), { minute: m, state });
    const packed = new Uint8Array(300_000).map((_, i) => (i * 31) & 255);
    await h.store.commitMinute([], { minute: m + 30_000, state: packed });
    const back = await h.store.checkpoint();
    assert.ok(back?.state instanceof Uint8Array, 'a Uint8Array state comes back as bytes');
    assert.deepEqual(Buffer.from(back.state), Buffer.from(packed));
    await h.store.commitMinute([], { minute: m + 60_000, state: { version: 1, n: 2 } });
    const again = await h.reopen();
    try {
      assert.deepEqual(await again.checkpoint(), { minute: m + 60_000, state: { version: 1, n: 2 } });
      const all = await again.list({ status: 'open' });
      assert.equal(all.length, 1);
      assert.deepEqual(all[0]!.history, [{ at: '2026-11-23T14:07:00Z', kind: 'open' }]);
    } finally {
      await again.close();
    }
  });

  withStore('a minute cut short after its episodes and replayed converges: no duplicates, checkpoint set', async ({ store }) => {
    const m = Date.parse('2026-11-23T14:07:00Z');
    const writes = [
      { episode: episode(), events: [{ at: '2026-11-23T14:07:00Z', kind: 'open' as const }] },
      { episode: { ...episode(), id: 'dc:bj-zw', type: 'dc' as const, key: 'bj-zw' }, events: [{ at: '2026-11-23T14:07:00Z', kind: 'open' as const }] },
    ];
    await store.commitMinute([], { minute: m - 60_000, state: { n: 1 } });
    // what a crash between commitMinute's writes leaves: episodes and events, the old checkpoint
    await store.upsert(writes);
    assert.equal((await store.checkpoint())!.minute, m - 60_000);
    await store.commitMinute(writes, { minute: m, state: { n: 2 } });
    await store.commitMinute(writes, { minute: m, state: { n: 2 } });
    const all = await store.list({ status: 'all' });
    assert.equal(all.length, 2);
    for (const e of all) assert.equal(e.history.length, 1);
    assert.deepEqual(await store.checkpoint(), { minute: m, state: { n: 2 } });
  });

  withStore('a bad episode is refused, naming field and value, and nothing of its batch is written', async ({ store }) => {
    const good = episode();
    const bad = { ...episode({ id: 'vip:198.18.0.9', key: '198.18.0.9' }), start: 'yesterday' };
    await assert.rejects(store.commitMinute([{ episode: good, events: [] }, { episode: bad, events: [] }], { minute: 0, state: {} }),
      (e: unknown) => e instanceof ValidationError && /start/.test(e.message) && /"yesterday"/.test(e.message) && /vip:198\.18\.0\.9/.test(e.message));
    await assert.rejects(store.upsert([{ episode: good, events: [{ at: good.start, kind: 'reopen' as 'open' }] }]),
      (e: unknown) => e instanceof ValidationError && /events\[0\]\.kind/.test(e.message) && /"reopen"/.test(e.message));
    assert.deepEqual(await store.list({ status: 'all' }), []);
    assert.equal(await store.checkpoint(), null);
  });

  withStore('updatedAt is the store clock at the last write; ping answers', async (h) => {
    h.setNow(new Date('2026-11-23T14:08:30.000Z'));
    await h.store.upsert([{ episode: episode(), events: [] }]);
    assert.equal((await h.store.get(episodeUid(episode())))!.updatedAt, '2026-11-23T14:08:30.000Z');
    assert.equal(await h.store.ping(), true);
  });
}
