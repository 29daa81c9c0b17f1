/** What a key may do: `read` queries, `write` ingestion, `admin` configuration and keys, `*` all. */
export const scopes = ['read', 'write', 'admin', '*'] as const;
export type Scope = (typeof scopes)[number];
/** What a route needs; `public` routes take no key (health, metrics, docs). */
export type RouteScope = Exclude<Scope, '*'> | 'public';

export function isScope(s: string): s is Scope {
  return (scopes as readonly string[]).includes(s);
}

/** True when a key granted `granted` may call a route that requires `required`. */
export function hasScope(granted: readonly string[], required: Exclude<Scope, '*'>): boolean {
  return granted.includes('*') || granted.includes(required);
}
