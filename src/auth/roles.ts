import type { Scope } from './scopes.js';

/** A person's role in an organisation, weakest first. */
export const roles = ['viewer', 'member', 'admin', 'owner'] as const;
export type Role = (typeof roles)[number];

export function isRole(s: unknown): s is Role {
  return typeof s === 'string' && (roles as readonly string[]).includes(s);
}

/**
 * Roles are scopes: viewer reads; member also writes (ingest, forecasts, detection, acknowledging
 * alerts); admin also configures; owner also renames or deletes the organisation and manages owners.
 * One check (hasScope) then serves keys and sessions.
 */
const roleScopes: Record<Role, readonly Scope[]> = {
  viewer: ['read'],
  member: ['read', 'write'],
  admin: ['read', 'write', 'admin'],
  owner: ['read', 'write', 'admin', 'owner'],
};

export function scopesOfRole(role: Role): Scope[] {
  return [...roleScopes[role]];
}

/** True when `role` is at least `min`. */
export function roleAtLeast(role: Role, min: Role): boolean {
  return roles.indexOf(role) >= roles.indexOf(min);
}

/** True when someone with `role` may grant every scope of `wanted` (to a key they create). */
export function roleGrants(role: Role, wanted: readonly Scope[]): boolean {
  const own = roleScopes[role];
  return wanted.every((s) => (s === '*' ? role === 'owner' : own.includes(s)));
}
