import { purgeDeadApiKeys } from '../auth/api-keys.js';
import type { Sql } from '../store/sql.js';
import { listOrgs } from '../tenancy/orgs.js';

/** Days a revoked or expired key is kept (for audit) before the maintenance job deletes it. */
export const deadKeyRetentionDays = 30;

export interface MaintenanceResult {
  organizations: number;
  deletedApiKeys: number;
}

/**
 * Periodic clean-up, one organisation at a time (no store call without an org id): deletes API keys
 * revoked or expired more than {@link deadKeyRetentionDays} days before `now`. Later issues add
 * their retention rules (idempotency keys, dead letters) here.
 */
export async function runMaintenance(sql: Sql, now: Date): Promise<MaintenanceResult> {
  const cutoff = new Date(now.getTime() - deadKeyRetentionDays * 86_400_000);
  let deletedApiKeys = 0;
  const orgs = await listOrgs(sql);
  for (const org of orgs) deletedApiKeys += await purgeDeadApiKeys(sql, org.id, cutoff);
  return { organizations: orgs.length, deletedApiKeys };
}
