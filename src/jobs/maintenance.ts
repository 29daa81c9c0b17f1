import { purgeDeadApiKeys } from '../auth/api-keys.js';
import { purgeDeadLetters } from '../ingest/dead-letters.js';
import { purgeExpiredIdempotencyKeys } from '../ingest/idempotency.js';
import type { Sql } from '../store/sql.js';
import { listOrgs } from '../tenancy/orgs.js';

/** Days a revoked or expired key is kept (for audit) before the maintenance job deletes it. */
export const deadKeyRetentionDays = 30;

export interface MaintenanceSettings {
  /** Days rejected items stay in the dead-letter queue. */
  deadLetterRetentionDays: number;
}

export interface MaintenanceResult {
  organizations: number;
  deletedApiKeys: number;
  deletedIdempotencyKeys: number;
  deletedDeadLetters: number;
}

/**
 * Periodic clean-up, one organisation at a time (no store call without an org id): API keys revoked
 * or expired more than {@link deadKeyRetentionDays} days ago, expired idempotency keys, and dead
 * letters past their retention.
 */
export async function runMaintenance(sql: Sql, now: Date, settings: MaintenanceSettings = { deadLetterRetentionDays: 7 }): Promise<MaintenanceResult> {
  const keyCutoff = new Date(now.getTime() - deadKeyRetentionDays * 86_400_000);
  const letterCutoff = new Date(now.getTime() - settings.deadLetterRetentionDays * 86_400_000);
  const result: MaintenanceResult = { organizations: 0, deletedApiKeys: 0, deletedIdempotencyKeys: 0, deletedDeadLetters: 0 };
  for (const org of await listOrgs(sql)) {
    result.organizations++;
    result.deletedApiKeys += await purgeDeadApiKeys(sql, org.id, keyCutoff);
    result.deletedIdempotencyKeys += await purgeExpiredIdempotencyKeys(sql, org.id, now);
    result.deletedDeadLetters += await purgeDeadLetters(sql, org.id, letterCutoff);
  }
  return result;
}
