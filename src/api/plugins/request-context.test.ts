import assert from 'node:assert/strict';
import { test } from 'node:test';
import { loggableUrl } from './request-context.js';

test('loggableUrl hides the values of code, state and token query parameters, nothing else', () => {
  assert.equal(loggableUrl('/api/v1/auth/oauth/google/callback?code=4%2F0Abc&state=xyz&scope=email'), '/api/v1/auth/oauth/google/callback?code=…&state=…&scope=email');
  assert.equal(loggableUrl('/verify-email?token=abcdef'), '/verify-email?token=…');
  assert.equal(loggableUrl('/api/v1/metrics?prefix=cpu.&limit=10'), '/api/v1/metrics?prefix=cpu.&limit=10');
  assert.equal(loggableUrl('/api/v1/alerts?postcode=1'), '/api/v1/alerts?postcode=1');
  assert.equal(loggableUrl('/healthz'), '/healthz');
});
