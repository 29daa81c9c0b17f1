import assert from 'node:assert/strict';
import { test } from 'node:test';
import { alertFingerprint } from './fingerprint.js';

test('fingerprint: 32 hex characters, stable under dimension order', () => {
  const a = alertFingerprint('org-1', 'rule-1', { key: 'cpu.usage', dimensions: { host: 'web-1', region: 'eu', az: 'a' } });
  const b = alertFingerprint('org-1', 'rule-1', { key: 'cpu.usage', dimensions: { az: 'a', region: 'eu', host: 'web-1' } });
  assert.match(a, /^[0-9a-f]{32}$/);
  assert.equal(a, b);
  // Pinned: a change of the scheme would split every open alert from its history.
  assert.equal(alertFingerprint('org-1', 'rule-1', { key: 'cpu.usage', dimensions: { host: 'web-1' } }), 'ffd4b7aefcfe57d7427e7a4e35343ad5');
});

test('fingerprint: every part matters, and parts cannot bleed into each other', () => {
  const base = { key: 'cpu.usage', dimensions: { host: 'web-1' } };
  const fps = [
    alertFingerprint('org-1', 'rule-1', base),
    alertFingerprint('org-2', 'rule-1', base),
    alertFingerprint('org-1', 'rule-2', base),
    alertFingerprint('org-1', 'rule-1', { ...base, key: 'cpu.idle' }),
    alertFingerprint('org-1', 'rule-1', { ...base, dimensions: { host: 'web-2' } }),
    alertFingerprint('org-1', 'rule-1', { ...base, dimensions: {} }),
    alertFingerprint('org-1', 'rule-1', { ...base, dimensions: { host: 'web-1', a: '' } }),
    alertFingerprint('org-1', 'rule-1', { ...base, dimensions: { 'host=web-1,a': '' } }),
    alertFingerprint('org-1rule-1', '', base),
    alertFingerprint('org-1', 'rule-1', { ...base, dimensions: { __proto__x: 'y', host: 'web-1' } }),
  ];
  assert.equal(new Set(fps).size, fps.length);
  const proto = Object.fromEntries([['__proto__', 'x']]) as Record<string, string>;
  assert.notEqual(alertFingerprint('o', 'r', { key: 'k', dimensions: proto }), alertFingerprint('o', 'r', { key: 'k', dimensions: {} }));
});
