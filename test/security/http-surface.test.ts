// What any client sees of the HTTP shell: /metrics stays bounded whatever URLs arrive (finding 1), JSON answers carry
// nosniff and API answers are not cacheable (finding 9), and errors never carry library text (errors mean the same).
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { startWeb, type TestWeb } from '../web/harness.js';

describe('http surface', () => {
  let w: TestWeb;
  before(async () => { w = await startWeb(); });
  after(() => w.stop());

  it('finding 1: 1,000 odd URLs do not grow /metrics (unmatched requests share one route label)', async () => {
    // warm up the labels any real client makes, then measure
    await fetch(`${w.url}/nope`);
    await fetch(`${w.url}/api/v1/whitelist/1`, { method: 'PUT' });
    const before = (await (await fetch(`${w.url}/metrics`)).text()).length;
    const odd = (i: number) => [`/api/v1/whitelist/%zz${i}`, `/faults/%zz${i}`, `/vips/%zz${i}`, `/nope-${i}`, `/assets/x${i}.js`][i % 5]!;
    for (let i = 0; i < 1000; i += 50) {
      await Promise.all(Array.from({ length: 50 }, (_, k) => fetch(`${w.url}${odd(i + k)}`, { redirect: 'manual' }).then((r) => r.arrayBuffer())));
    }
    const text = await (await fetch(`${w.url}/metrics`)).text();
    const routes = new Set([...text.matchAll(/vipwatch_http_request_seconds_count\{[^}]*route="([^"]*)"/g)].map((m) => m[1]));
    assert.ok(![...routes].some((r) => /%zz|nope-|x\d+\.js/.test(r!)), `raw paths as labels: ${[...routes].join(' ')}`);
    assert.ok(text.length - before < 8_000, `/metrics grew by ${text.length - before} bytes after 1,000 odd URLs`);
  });

  it('finding 9: JSON answers say nosniff, API answers are not stored by caches', async () => {
    for (const path of ['/api/v1/faults', '/api/v1/whitelist', '/api/v1/whitelist/audit', '/healthz', '/no-such-page']) {
      const res = await fetch(`${w.url}${path}`);
      assert.match(res.headers.get('content-type') ?? '', /json/, path);
      assert.equal(res.headers.get('x-content-type-options'), 'nosniff', path);
      if (path.startsWith('/api/')) assert.match(res.headers.get('cache-control') ?? '', /no-store/, path);
    }
    const refused = await fetch(`${w.url}/api/v1/whitelist`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: '{}' });
    assert.equal(refused.status, 401);
    assert.equal(refused.headers.get('x-content-type-options'), 'nosniff');
    assert.match(refused.headers.get('cache-control') ?? '', /no-store/);
  });

  it('errors: malformed JSON is a 400 without the parser\'s text, with a request id', async () => {
    const res = await fetch(`${w.url}/api/v1/whitelist`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: '{"vip": oops' });
    const body = (await res.json()) as { error: string; requestId?: string };
    // 401 comes first for an anonymous caller only when the body is not parsed first; either way no parser text
    assert.ok(res.status === 400 || res.status === 401, `status ${res.status}`);
    assert.doesNotMatch(body.error, /Unexpected token|position \d|JSON at/);
    const bad = await fetch(`${w.url}/api/v1/whitelist/%zz`);
    const b2 = (await bad.json()) as { error: string; requestId?: string };
    assert.equal(bad.status, 400);
    assert.doesNotMatch(b2.error, /URIError|Failed to decode|%zz/);
    assert.match(b2.requestId ?? '', /^[\w-]{8,}$/);
    assert.equal(bad.headers.get('x-request-id'), b2.requestId);
  });
});
