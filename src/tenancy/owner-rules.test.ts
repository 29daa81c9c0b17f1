import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { roles, type Role } from '../auth/roles.js';
import { AppError } from '../core/errors.js';
import { enforce, invitationRefusal, removalRefusal, roleChangeRefusal, roleOfScopes } from './owner-rules.js';

const reason = (r: { reason: string } | null) => r?.reason ?? 'ok';

describe('roleChangeRefusal (actor, from → to, owners)', () => {
  const cases: [Role, Role, Role, number, string][] = [
    // Viewers and members manage no one.
    ['viewer', 'viewer', 'member', 1, 'admin_required'],
    ['member', 'viewer', 'member', 1, 'admin_required'],
    // Admins move people among viewer, member and admin.
    ['admin', 'viewer', 'member', 1, 'ok'],
    ['admin', 'member', 'admin', 1, 'ok'],
    ['admin', 'admin', 'viewer', 1, 'ok'],
    // …but never to or from owner.
    ['admin', 'member', 'owner', 1, 'owner_required'],
    ['admin', 'admin', 'owner', 2, 'owner_required'],
    ['admin', 'owner', 'admin', 3, 'owner_required'],
    ['admin', 'owner', 'owner', 3, 'ok'], // no change
    // Owners do both, and the last owner stays.
    ['owner', 'member', 'owner', 1, 'ok'],
    ['owner', 'owner', 'admin', 2, 'ok'],
    ['owner', 'owner', 'viewer', 1, 'last_owner'],
    ['owner', 'owner', 'owner', 1, 'ok'],
  ];
  for (const [actor, from, to, owners, want] of cases) {
    test(`${actor}: ${from} → ${to} with ${owners} owner(s): ${want}`, () => assert.equal(reason(roleChangeRefusal(actor, from, to, owners)), want));
  }
});

describe('removalRefusal (actor, target, self, owners)', () => {
  const cases: [Role, Role, boolean, number, string][] = [
    ['viewer', 'member', false, 1, 'admin_required'],
    ['member', 'viewer', false, 1, 'admin_required'],
    ['viewer', 'viewer', true, 1, 'ok'], // leaving
    ['member', 'member', true, 1, 'ok'],
    ['admin', 'member', false, 1, 'ok'],
    ['admin', 'admin', false, 1, 'ok'],
    ['admin', 'owner', false, 2, 'owner_required'],
    ['owner', 'owner', false, 2, 'ok'],
    ['owner', 'owner', false, 1, 'last_owner'],
    ['owner', 'owner', true, 2, 'ok'],
    ['owner', 'owner', true, 1, 'last_owner'],
  ];
  for (const [actor, target, self, owners, want] of cases) {
    test(`${actor} removes ${self ? 'themselves' : 'a'} ${target} with ${owners} owner(s): ${want}`, () => assert.equal(reason(removalRefusal(actor, target, self, owners)), want));
  }
});

test('invitationRefusal: admins invite, owners also invite owners', () => {
  const got = roles.map((actor) => roles.map((role) => reason(invitationRefusal(actor, role))));
  assert.deepEqual(got, [
    ['admin_required', 'admin_required', 'admin_required', 'admin_required'], // viewer
    ['admin_required', 'admin_required', 'admin_required', 'admin_required'], // member
    ['ok', 'ok', 'ok', 'owner_required'], // admin
    ['ok', 'ok', 'ok', 'ok'], // owner
  ]);
});

test('roleOfScopes: a key stands for the strongest role its scopes amount to', () => {
  assert.equal(roleOfScopes(['*']), 'owner');
  assert.equal(roleOfScopes(['owner']), 'owner');
  assert.equal(roleOfScopes(['read', 'admin']), 'admin');
  assert.equal(roleOfScopes(['write']), 'member');
  assert.equal(roleOfScopes(['read']), 'viewer');
  assert.equal(roleOfScopes([]), 'viewer');
});

test('enforce: 403 insufficient_scope naming the role needed, 409 last_owner, nothing when allowed', () => {
  enforce(null, 'viewer');
  assert.throws(
    () => enforce(roleChangeRefusal('admin', 'owner', 'member', 2), 'admin'),
    (e: unknown) => e instanceof AppError && e.status === 403 && e.code === 'insufficient_scope' && (e.details as { required: string }).required === 'owner' && /"admin"/.test(e.message),
  );
  assert.throws(() => enforce(removalRefusal('member', 'viewer', false, 1), 'member'), (e: unknown) => e instanceof AppError && (e.details as { required: string }).required === 'admin');
  assert.throws(() => enforce(roleChangeRefusal('owner', 'owner', 'admin', 1), 'owner'), (e: unknown) => e instanceof AppError && e.status === 409 && e.code === 'last_owner');
});
