import assert from 'node:assert/strict';
import { test } from 'node:test';
import { AppError } from '../core/errors.js';
import { assertPasswordAllowed, passwordProblem } from './password-policy.js';

test('password policy: each rule, table-driven', async () => {
  const cases: { password: string; email?: string; rule?: string }[] = [
    { password: 'short', rule: 'min_length' },
    { password: '123456789', rule: 'min_length' },
    { password: '\u{1F600}'.repeat(9), rule: 'min_length' }, // characters, not UTF-16 units
    { password: '\u{1F600}'.repeat(10) },
    { password: 'x'.repeat(256) },
    { password: 'x'.repeat(257), rule: 'max_length' },
    { password: '1234567890', rule: 'common_password' },
    { password: 'PassWord123', rule: 'common_password' }, // compared lower-cased
    { password: 'qwertyuiop', rule: 'common_password' },
    { password: 'ada.lovelace@example.test', email: 'Ada.Lovelace@Example.test', rule: 'matches_email' },
    { password: 'Ada.Lovelace', email: 'ada.lovelace@example.test', rule: 'matches_email' },
    { password: 'ada.lovelace-2026', email: 'ada.lovelace@example.test' },
    { password: 'violet tractor sunrise' },
  ];
  for (const c of cases) assert.equal((await passwordProblem(c.password, c.email))?.rule, c.rule, JSON.stringify(c));
});

test('password policy: weak_password names the rule', async () => {
  await assert.rejects(assertPasswordAllowed('password1'), (err: unknown) => {
    assert.ok(err instanceof AppError);
    assert.equal(err.code, 'weak_password');
    assert.equal(err.status, 400);
    assert.deepEqual(err.details, { rule: 'min_length', minLength: 10, maxLength: 256 });
    return true;
  });
  await assertPasswordAllowed('violet tractor sunrise', 'a@b.test');
});
