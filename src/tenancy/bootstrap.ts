import { createApiKey } from '../auth/api-keys.js';
import type { Sql } from '../store/sql.js';
import { createOrg, type Organization } from './orgs.js';

/**
 * On the first start only (no organisation yet), creates the default organisation and an admin
 * key for it and returns them; afterwards returns undefined. Safe when two servers start together.
 */
export async function bootstrapDefaultOrg(sql: Sql): Promise<{ org: Organization; secret: string } | undefined> {
  return sql.transaction(async (tx) => {
    await tx.query(`SELECT pg_advisory_xact_lock(hashtext(current_schema() || '.bootstrap'))`);
    const any = await tx.query('SELECT 1 FROM organizations LIMIT 1');
    if (any.rowCount > 0) return undefined;
    const org = await createOrg(tx, { name: 'Default', slug: 'default', isPlatform: true });
    const { secret } = await createApiKey(tx, org.id, { name: 'admin (created on first start)', scopes: ['*'] });
    return { org, secret };
  });
}
