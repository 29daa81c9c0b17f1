import { purgeResolvedAlerts } from '../alert/alerts-store.js';
import { purgeTestDeliveries } from '../alert/deliveries-store.js';
import { purgeEndedSilences } from '../alert/silences-store.js';
import { purgeDeadApiKeys } from '../auth/api-keys.js';
import { purgeExpiredOAuthStates } from '../auth/oauth/states.js';
import { purgeExpiredSessions } from '../auth/sessions.js';
import { purgeExpiredUserTokens } from '../auth/user-tokens.js';
import { purgeDeadLetters } from '../ingest/dead-letters.js';
import { purgeExpiredIdempotencyKeys } from '../ingest/idempotency.js';
import { withCompactionLock } from '../metrics/points/compact.js';
import { mergeSmallPartitions, type MergeResult } from '../metrics/points/partition-merge.js';
import { enforceRetention, type RetentionResult } from '../metrics/points/retention.js';
import type { StorageStats } from '../metrics/points/storage-stats.js';
import type { Sql } from '../store/sql.js';
import { listOrgs } from '../tenancy/orgs.js';

/** Days a revoked or expired key is kept (for audit) before the maintenance job deletes it. */
export const deadKeyRetentionDays = 30;

export interface MaintenanceSettings {
  /** Days rejected items stay in the dead-letter queue. */
  deadLetterRetentionDays: number;
  /** Days resolved alerts (with their history and notifications), ended silences and channel tests are kept; default 90. */
  alertRetentionDays?: number;
}

export interface MaintenanceResult {
  organizations: number;
  deletedApiKeys: number;
  deletedIdempotencyKeys: number;
  deletedDeadLetters: number;
  deletedAlerts: number;
  deletedSilences: number;
  deletedTestDeliveries: number;
  /** People's rows (not organisation-owned, so purged once, not per organisation). */
  deletedSessions: number;
  deletedUserTokens: number;
  deletedOAuthStates: number;
  /** Points past each organisation's retention (src/metrics/points/retention.ts). */
  retention: RetentionResult;
  /** Small partitions of closed periods merged (src/metrics/points/partition-merge.ts); null when a compaction held its lock. */
  partitions: MergeResult | null;
}

/**
 * Periodic clean-up, one organisation at a time (no store call without an org id): API keys revoked
 * or expired more than {@link deadKeyRetentionDays} days ago, expired idempotency keys, and dead
 * letters past their retention. Then, once for all: sessions past their expiry, emailed tokens
 * expired a week ago, and OAuth sign-ins abandoned past their expiry. Then points past every
 * organisation's retention: whole partitions dropped, then what remains deleted per organisation. Last,
 * small partitions of closed periods merged into one, sparse series' days packed into rows of up to a
 * month on the way (unless a compaction is running: next hour).
 */
export async function runMaintenance(sql: Sql, now: Date, settings: MaintenanceSettings = { deadLetterRetentionDays: 7 }, stats?: StorageStats): Promise<MaintenanceResult> {
  const keyCutoff = new Date(now.getTime() - deadKeyRetentionDays * 86_400_000);
  const letterCutoff = new Date(now.getTime() - settings.deadLetterRetentionDays * 86_400_000);
  const alertCutoff = new Date(now.getTime() - (settings.alertRetentionDays ?? 90) * 86_400_000);
  const result: Omit<MaintenanceResult, 'retention' | 'partitions'> = { organizations: 0, deletedApiKeys: 0, deletedIdempotencyKeys: 0, deletedDeadLetters: 0, deletedAlerts: 0, deletedSilences: 0, deletedTestDeliveries: 0, deletedSessions: 0, deletedUserTokens: 0, deletedOAuthStates: 0 };
  for (const org of await listOrgs(sql)) {
    result.organizations++;
    result.deletedApiKeys += await purgeDeadApiKeys(sql, org.id, keyCutoff);
    result.deletedIdempotencyKeys += await purgeExpiredIdempotencyKeys(sql, org.id, now);
    result.deletedDeadLetters += await purgeDeadLetters(sql, org.id, letterCutoff);
    result.deletedAlerts += await purgeResolvedAlerts(sql, org.id, alertCutoff);
    result.deletedSilences += await purgeEndedSilences(sql, org.id, alertCutoff);
    result.deletedTestDeliveries += await purgeTestDeliveries(sql, org.id, alertCutoff);
  }
  result.deletedSessions = await purgeExpiredSessions(sql, now);
  result.deletedUserTokens = await purgeExpiredUserTokens(sql, now);
  result.deletedOAuthStates = await purgeExpiredOAuthStates(sql, now);
  let retention;
  try {
    retention = await enforceRetention(sql, now.getTime());
  } catch (err) {
    stats?.retentionFailed();
    throw err;
  }
  stats?.retained(retention, now.getTime() + retention.ms);
  let partitions: MergeResult | null = null;
  await withCompactionLock(sql, async () => {
    partitions = await mergeSmallPartitions(sql, now.getTime());
  });
  return { ...result, retention, partitions };
}
