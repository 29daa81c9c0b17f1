import { createApiKey } from '../auth/api-keys.js';
import { passwordProblem } from '../auth/password-policy.js';
import { hashPassword } from '../auth/passwords.js';
import { issueUserToken } from '../auth/user-tokens.js';
import { createUser, findUserByEmail, normaliseEmail, updateUser, type User } from '../auth/users.js';
import type { Sql } from '../store/sql.js';
import { addMembership } from './memberships.js';
import { createOrg, getOrg, type Organization } from './orgs.js';

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

/** What {@link bootstrapAdminUser} is given: BOOTSTRAP_ADMIN_EMAIL and _PASSWORD, the scrypt cost, where links point. */
export interface AdminBootstrapOptions {
  email: string;
  /** Unset: the user gets no password, and a password-reset link (valid {@link adminResetTtlMs}) is printed. */
  password?: string;
  scryptLogN: number;
  /** PUBLIC_URL, else the server's own address. */
  linkBase: string;
  now?: Date;
}

/** The first owner's reset link stays valid a day: the operator may read the log later than a user reads mail. */
export const adminResetTtlMs = 24 * 3_600_000;

export type AdminBootstrapResult = { created: false } | { created: true; user: User; org: Organization; resetLink?: string };

/**
 * BOOTSTRAP_ADMIN_EMAIL: when no user has the address, creates it (verified) as owner of the platform
 * organisation, with BOOTSTRAP_ADMIN_PASSWORD (the password rules apply: a weak one is a start-up
 * error) or else with a reset link to choose one. Afterwards (the user exists) does nothing. Prints
 * what it did through `print`, like the first start's admin key.
 */
export async function bootstrapAdminUser(sql: Sql, opts: AdminBootstrapOptions, print: (line: string) => void = () => undefined): Promise<AdminBootstrapResult> {
  const email = normaliseEmail(opts.email);
  if (!/^[^\s@]+@[^\s@]+$/.test(email)) throw new Error(`BOOTSTRAP_ADMIN_EMAIL must be an email address, got "${opts.email}"`);
  if (await findUserByEmail(sql, email)) return { created: false };
  let passwordHash: string | null = null;
  if (opts.password !== undefined) {
    const problem = await passwordProblem(opts.password, email);
    if (problem) throw new Error(`BOOTSTRAP_ADMIN_PASSWORD is not accepted: ${problem.message} (rule ${problem.rule}). Choose another, or leave it unset to get a password-reset link.`);
    passwordHash = await hashPassword(opts.password, opts.scryptLogN); // before the transaction: it takes a while
  }
  const now = opts.now ?? new Date();
  const result = await sql.transaction(async (tx): Promise<AdminBootstrapResult> => {
    await tx.query(`SELECT pg_advisory_xact_lock(hashtext(current_schema() || '.bootstrap'))`);
    if (await findUserByEmail(tx, email)) return { created: false }; // another server made it meanwhile
    const platform = await tx.query<{ id: string }>(`SELECT id FROM organizations WHERE is_platform ORDER BY created_at, id LIMIT 1`);
    const orgId = platform.rows[0]?.id;
    if (!orgId) throw new Error('BOOTSTRAP_ADMIN_EMAIL: there is no platform organisation to make the user owner of');
    const org = (await getOrg(tx, orgId))!;
    const created = await createUser(tx, { email, name: email.split('@')[0]!, passwordHash, emailVerifiedAt: now }, now);
    await addMembership(tx, org.id, created.id, 'owner', now);
    const user = (await updateUser(tx, created.id, { defaultOrgId: org.id }))!;
    if (passwordHash) return { created: true, user, org };
    const { token } = await issueUserToken(tx, user.id, 'password_reset', adminResetTtlMs, now);
    return { created: true, user, org, resetLink: `${opts.linkBase.replace(/\/+$/, '')}/reset-password?token=${token}` };
  });
  if (result.created) {
    print('');
    print(`  Created user ${result.user.email}, owner of organisation "${result.org.name}" (${result.org.slug}).`);
    if (result.resetLink) {
      print(`  Choose its password within ${adminResetTtlMs / 3_600_000} hours at this link (it works once):`);
      print('');
      print(`    ${result.resetLink}`);
      print('');
      print('  Later: POST /api/v1/auth/password-reset/request sends a new link (logged when SMTP_URL is unset).');
    } else {
      print('  Sign in with BOOTSTRAP_ADMIN_PASSWORD.');
    }
    print('');
  }
  return result;
}
