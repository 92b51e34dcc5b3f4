// Finding 7: a whitelist write through the API whose `until` is not a string used to be taken without it (an entry
// that never expires). It is a 400 naming the field, and nothing is stored; the same entry with a proper time is
// taken with that expiry. The web checks entries with the one whitelist validator (core/whitelist.ts).
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { ADMIN, startWeb, type TestWeb } from './harness.js';

describe('whitelist API: until', () => {
  let w: TestWeb;
  let auth: Record<string, string>;
  before(async () => {
    w = await startWeb();
    auth = { Authorization: `Bearer ${await w.web.router.access.issueApiToken(ADMIN.user, 'test')}`, 'Content-Type': 'application/json' };
  });
  after(async () => { await w.stop(); });

  const post = (body: unknown) => fetch(`${w.url}/api/v1/whitelist`, { method: 'POST', headers: auth, body: JSON.stringify(body) });

  for (const until of [1795431600000, true, { at: '2026-12-01T00:00:00Z' }, ['2026-12-01T00:00:00Z']]) {
    it(`refuses until ${JSON.stringify(until)} with 400 naming the field, storing nothing`, async () => {
      const r = await post({ dc: 'idc-beijing-ct', reason: 'planned move', until });
      assert.equal(r.status, 400);
      const body = await r.json() as { error: string; fields: Array<{ field: string; message: string }> };
      assert.deepEqual(body.fields.map((f) => f.field), ['until']);
      assert.match(body.error, /until must be a string/);
      assert.deepEqual(await w.admin.listWhitelist({ includeExpired: true }), []);
    });
  }

  it('takes the same entry with an ISO time, with that expiry', async () => {
    const until = new Date(Date.now() + 3_600_000).toISOString();
    const r = await post({ dc: 'idc-beijing-ct', reason: 'planned move', until });
    assert.equal(r.status, 201, await r.clone().text());
    const [stored] = await w.admin.listWhitelist();
    assert.equal(stored!.until, until);
  });
});
