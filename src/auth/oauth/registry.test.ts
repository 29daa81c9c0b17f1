import { test } from 'node:test';
import assert from 'node:assert/strict';
import { providers } from '../identities.js';
import { oauthProviders } from './registry.js';

test('every provider the identities table accepts has an implementation registered under its id', () => {
  assert.deepEqual(Object.keys(oauthProviders).sort(), [...providers].sort());
  for (const p of providers) assert.equal(oauthProviders[p].id, p);
});
