// The stable identity of an alert: one per (org, rule, series). PagerDuty's dedup_key, the threading
// key of Slack and email, and what a new instance after resolution shares with the old one.
import type { Labels } from '../core/labels.js';
import { createHash } from 'node:crypto';

/**
 * Hex SHA-256 (first 32 characters, 128 bits) of org id, rule id, series key and dimensions sorted by
 * name. Hashed as JSON arrays, so no choice of characters in the parts can make two inputs collide by
 * concatenation; insertion order of `dimensions` does not matter.
 */
export function alertFingerprint(orgId: string, ruleId: string, series: { key: string; dimensions: Readonly<Labels> }): string {
  const dims = Object.entries(series.dimensions).sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));
  return createHash('sha256')
    .update(JSON.stringify([orgId, ruleId, series.key, dims]))
    .digest('hex')
    .slice(0, 32);
}
