// Finding 5: X-Forwarded-For must not buy fresh login attempts. A per-account limit holds a guesser that rotates
// addresses, and which proxies may set the header is a setting (web.trustProxy), not "anything on loopback".
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { ADMIN, cookiesOf, startWeb } from '../web/harness.js';

async function attempt(url: string, user: string, password: string, forwardedFor: string): Promise<number> {
  const form = await fetch(`${url}/login`);
  const loginCookie = cookiesOf(form).get('vipwatch_login')!;
  const token = /name="_csrf" value="([^"]+)"/.exec(await form.text())![1]!;
  const res = await fetch(`${url}/login`, {
    method: 'POST', redirect: 'manual',
    headers: { 'Content-Type': 'application/x-www-form-urlencoded', Cookie: `vipwatch_login=${loginCookie}`, 'X-Forwarded-For': forwardedFor },
    body: new URLSearchParams({ _csrf: token, user, password }),
  });
  await res.arrayBuffer();
  return res.status;
}

test('finding 5: one account guessed from ever new forwarded addresses is limited per account', async (t) => {
  const w = await startWeb({ loginBurst: 3, loginAccountBurst: 5, loginRefillSec: 600 });
  t.after(() => w.stop());
  const statuses: number[] = [];
  for (let i = 1; i <= 6; i++) statuses.push(await attempt(w.url, ADMIN.user, `wrong-${i}`, `198.18.0.${i}`));
  assert.deepEqual(statuses, [401, 401, 401, 401, 401, 429]);
  // even the right password is refused while the account is held: guessing gains nothing
  assert.equal(await attempt(w.url, ADMIN.user, ADMIN.password, '198.18.0.77'), 429);
  // another account is not held by it
  assert.equal(await attempt(w.url, 'vera', 'wrong', '198.18.0.78'), 401);
});

test('finding 5: with web.trustProxy empty, X-Forwarded-For is ignored and the client address is the socket\'s', async (t) => {
  const w = await startWeb({ loginBurst: 3, loginAccountBurst: 100, loginRefillSec: 600, trustProxy: [] });
  t.after(() => w.stop());
  // different user names from "different" addresses: all from 127.0.0.1 really, so its per-address bucket (4 x 3) holds
  const statuses: number[] = [];
  for (let i = 1; i <= 13; i++) statuses.push(await attempt(w.url, `guess-${i}`, 'wrong', `198.18.1.${i}`));
  assert.deepEqual(statuses, [...Array<number>(12).fill(401), 429]);
});
