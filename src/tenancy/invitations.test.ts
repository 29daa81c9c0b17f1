import assert from 'node:assert/strict';
import { test } from 'node:test';
import { invitationStatus } from './invitations.js';

test('invitationStatus: accepted and revoked are final; pending until expiresAt, expired from it', () => {
  const now = new Date('2026-01-08T00:00:00Z');
  const at = (iso: string) => new Date(iso);
  const base = { acceptedAt: null, revokedAt: null, expiresAt: at('2026-01-08T00:00:01Z') };
  assert.equal(invitationStatus(base, now), 'pending');
  assert.equal(invitationStatus({ ...base, expiresAt: now }, now), 'expired');
  assert.equal(invitationStatus({ ...base, revokedAt: at('2026-01-02T00:00:00Z') }, now), 'revoked');
  assert.equal(invitationStatus({ ...base, acceptedAt: at('2026-01-02T00:00:00Z'), expiresAt: at('2026-01-03T00:00:00Z') }, now), 'accepted', 'an accepted invitation does not expire');
  assert.equal(invitationStatus({ ...base, revokedAt: at('2026-01-02T00:00:00Z'), expiresAt: at('2026-01-03T00:00:00Z') }, now), 'revoked');
});
