// Who may change whom in an organisation: pure rules over roles, applied by the membership and
// invitation stores inside the transaction that holds the organisation's membership lock (so the
// owner count they are given is the one the change commits against).
import { roleAtLeast, type Role } from '../auth/roles.js';
import { AppError } from '../core/errors.js';

/** Why a change is refused: the caller's role is too weak, or it would leave the organisation without an owner. */
export interface Refusal {
  reason: 'admin_required' | 'owner_required' | 'last_owner';
  message: string;
}

/**
 * The role a key's scopes amount to when it manages members: `*` or `owner` is an owner, `admin` an
 * admin, `write` a member, anything else a viewer. Keys and people then share one set of rules.
 */
export function roleOfScopes(scopes: readonly string[]): Role {
  if (scopes.includes('*') || scopes.includes('owner')) return 'owner';
  if (scopes.includes('admin')) return 'admin';
  if (scopes.includes('write')) return 'member';
  return 'viewer';
}

const adminRequired: Refusal = { reason: 'admin_required', message: 'Managing members needs the admin role' };
const ownerRequired = (what: string): Refusal => ({ reason: 'owner_required', message: `Only owners may ${what}` });
const lastOwner = (what: string): Refusal => ({ reason: 'last_owner', message: `The organisation's last owner cannot ${what}: make someone else owner first` });

/**
 * Changing a member's role from `from` to `to` by someone with role `actor`, when the organisation
 * has `owners` owners (the member included). Admins manage members; granting or taking away `owner`
 * (and so any change to an owner) needs an owner; the last owner stays owner.
 */
export function roleChangeRefusal(actor: Role, from: Role, to: Role, owners: number): Refusal | null {
  if (!roleAtLeast(actor, 'admin')) return adminRequired;
  if (from === 'owner' && to !== 'owner') {
    if (actor !== 'owner') return ownerRequired('change an owner\'s role');
    if (owners <= 1) return lastOwner('be demoted');
  }
  if (to === 'owner' && from !== 'owner' && actor !== 'owner') return ownerRequired('make someone an owner');
  return null;
}

/**
 * Removing a member with role `target` by someone with role `actor`; `self` when they remove
 * themselves (leaving, which any member may do). Removing others needs an admin, and an owner for
 * an owner; the last owner can neither be removed nor leave.
 */
export function removalRefusal(actor: Role, target: Role, self: boolean, owners: number): Refusal | null {
  if (!self && !roleAtLeast(actor, 'admin')) return adminRequired;
  if (!self && target === 'owner' && actor !== 'owner') return ownerRequired('remove an owner');
  if (target === 'owner' && owners <= 1) return lastOwner(self ? 'leave' : 'be removed');
  return null;
}

/** Inviting someone as `role`: admins invite; only owners invite owners. */
export function invitationRefusal(actor: Role, role: Role): Refusal | null {
  if (!roleAtLeast(actor, 'admin')) return adminRequired;
  if (role === 'owner' && actor !== 'owner') return ownerRequired('invite owners');
  return null;
}

/** Throws the API error for a refusal (403 insufficient_scope naming the role needed, or 409 last_owner); nothing when null. */
export function enforce(refusal: Refusal | null, actor: Role): void {
  if (!refusal) return;
  if (refusal.reason === 'last_owner') throw new AppError('last_owner', refusal.message);
  const required = refusal.reason === 'owner_required' ? 'owner' : 'admin';
  throw new AppError('insufficient_scope', `${refusal.message}; your role here is "${actor}"`, { required, role: actor });
}
