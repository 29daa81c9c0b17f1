import assert from 'node:assert/strict';
import { test } from 'node:test';
import { dummyHash, hashPassword, parseHash, verifyPassword } from './passwords.js';

test('passwords: the hash names its parameters; right and wrong passwords; a changed cost asks for a rehash', async () => {
  const h = await hashPassword('correct horse battery', 10);
  assert.match(h, /^scrypt\$ln=10,r=8,p=1\$[A-Za-z0-9+/]{22}\$[A-Za-z0-9+/]{43}$/);
  assert.notEqual(await hashPassword('correct horse battery', 10), h, 'a fresh salt every time');
  assert.deepEqual(await verifyPassword('correct horse battery', h, 10), { ok: true, needsRehash: false });
  assert.deepEqual(await verifyPassword('correct horse batterz', h, 10), { ok: false, needsRehash: false });
  assert.deepEqual(await verifyPassword('correct horse battery', h, 11), { ok: true, needsRehash: true }, 'made at ln=10, the setting now says 11');
  // NFKC: a full-width letter is the same password as its ASCII form.
  assert.equal((await verifyPassword('correct horse batter\uFF59', h, 10)).ok, true);
});

test('passwords: malformed or out-of-range stored hashes never match and allocate nothing', async () => {
  for (const bad of ['', 'plain', 'scrypt$ln=17,r=8,p=1$abc$def', 'scrypt$ln=30,r=8,p=1$AAAAAAAAAAAAAAAAAAAAAA$AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA', 'bcrypt$2b$10$x']) {
    assert.equal(parseHash(bad), undefined, bad);
    assert.deepEqual(await verifyPassword('whatever', bad, 10), { ok: false, needsRehash: false });
  }
  await assert.rejects(hashPassword('x', 9), RangeError);
  assert.equal(await dummyHash(10), await dummyHash(10), 'made once per cost');
});

test('passwords: the production cost (ln=17, 128 MiB) hashes within scrypt memory limits and off the event loop', async () => {
  let ticks = 0;
  const timer = setInterval(() => ticks++, 5);
  const started = performance.now();
  const h = await hashPassword('a production password', 17);
  const ms = performance.now() - started;
  clearInterval(timer);
  assert.match(h, /^scrypt\$ln=17,r=8,p=1\$/); // Node's default maxmem (32 MiB) would have refused it
  // The loop kept turning while the hash ran on the thread pool (a blocked loop ticks once).
  assert.ok(ticks >= 10, `event loop ticks ${ticks} in ${ms.toFixed(0)} ms`);
});
