/**
 * What a key or a session may do: `read` queries, `write` ingestion, forecasts, detection and
 * acknowledging alerts, `admin` configuration (rules, channels, silences, schedules, keys, members),
 * `owner` the organisation itself (rename, delete, owners), `*` all.
 */
export const scopes = ['read', 'write', 'admin', 'owner', '*'] as const;
export type Scope = (typeof scopes)[number];
/**
 * What a route needs. `public` routes take no credential (health, metrics, docs, sign-in);
 * `user` routes need a signed-in person (a session) but no organisation (their account, creating an
 * organisation); keys reach a `user` route only when it names `keyScope` in its config.
 */
export type RouteScope = Exclude<Scope, '*'> | 'public' | 'user';

export function isScope(s: string): s is Scope {
  return (scopes as readonly string[]).includes(s);
}

/** True when a key granted `granted` may call a route that requires `required`. */
export function hasScope(granted: readonly string[], required: Exclude<Scope, '*'>): boolean {
  return granted.includes('*') || granted.includes(required);
}
