import { test } from 'node:test';
import assert from 'node:assert/strict';
import { AppError } from '../../core/errors.js';
import { safeReturnTo } from './return-to.js';

test('relative paths on this platform are kept', () => {
  for (const p of ['/', '/alerts', '/alerts?state=open&x=%2F%2F', '/a/b#section', '/settings/identities']) assert.equal(safeReturnTo(p), p);
  assert.equal(safeReturnTo(undefined), null);
  assert.equal(safeReturnTo(''), null);
});

test('anything a browser could resolve to another site is refused', () => {
  const bad = ['https://evil.example', 'http:/evil.example', '//evil.example', '/\\evil.example', '\\\\evil.example', '/\t/evil.example', '/\n/evil.example', ' /x', 'javascript:alert(1)', 'alerts', `/${'a'.repeat(2000)}`, '/%00\u0000'];
  for (const p of bad) {
    assert.throws(() => safeReturnTo(p), (e: unknown) => e instanceof AppError && e.code === 'bad_request', JSON.stringify(p));
  }
});
