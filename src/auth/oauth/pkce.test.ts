import { test } from 'node:test';
import assert from 'node:assert/strict';
import { codeChallengeOf, newCodeVerifier } from './pkce.js';

test('S256 challenge matches the RFC 7636 appendix B example', () => {
  assert.equal(codeChallengeOf('dBjftJeZ4CVP-mB92K27uhbUJU1p1r_wW1gFWFOEjXk'), 'E9Melhoa2OwvFrEMTJguCHaoeK1t8URWbuGJSstw-cM');
});

test('verifiers are 43 unreserved characters and differ every time', () => {
  const seen = new Set<string>();
  for (let i = 0; i < 100; i++) {
    const v = newCodeVerifier();
    assert.match(v, /^[A-Za-z0-9_-]{43}$/);
    seen.add(v);
  }
  assert.equal(seen.size, 100);
});
