// Notification channels: storage, scoped by org in every query. `config` is the notifier's parsed
// configuration with its secrets; callers show it only through the notifier's `redact`.
import { defineEntity, fromRow, type Row } from '../store/entity.js';
import type { Sql } from '../store/sql.js';
import type { Grouping } from './grouping/config.js';

export interface StoredChannel {
  id: string;
  orgId: string;
  name: string;
  /** Notifier type: email | slack | webhook | pagerduty. */
  type: string;
  /** The parsed configuration, secrets included: never return it as is. */
  config: Record<string, unknown>;
  enabled: boolean;
  /** Alertmanager-style grouping of the alerts it is told of; null: one message per alert event. */
  grouping: Grouping | null;
  createdAt: Date;
  updatedAt: Date;
}

/** The channel table, in reply order. */
export const channelEntity = defineEntity<StoredChannel>()('channels', {
  id: 'uuid', orgId: 'uuid', name: 'text', type: 'text', config: 'jsonb', enabled: 'bool', grouping: 'jsonb?', createdAt: 'timestamptz', updatedAt: 'timestamptz',
});

const columns = channelEntity.columns;
const channelOf = (r: Row): StoredChannel => fromRow(channelEntity, r);

export interface ChannelInput {
  name: string;
  type: string;
  config: unknown;
  enabled: boolean;
  /** Default null: no grouping. */
  grouping?: Grouping | null;
}

/** Creates a channel; undefined when the org has one of this name already. */
export async function createChannel(sql: Sql, orgId: string, c: ChannelInput, now: Date): Promise<StoredChannel | undefined> {
  const r = await sql.query<Row>(
    `INSERT INTO channels (org_id, name, type, config, enabled, grouping, created_at, updated_at) VALUES ($1, $2, $3, $4, $5, $7, $6, $6)
     ON CONFLICT (org_id, name) DO NOTHING RETURNING ${columns}`,
    [orgId, c.name, c.type, JSON.stringify(c.config), c.enabled, now, c.grouping ? JSON.stringify(c.grouping) : null],
  );
  return r.rows[0] && channelOf(r.rows[0]);
}

export async function getChannel(sql: Sql, orgId: string, id: string): Promise<StoredChannel | undefined> {
  const r = await sql.query<Row>(`SELECT ${columns} FROM channels WHERE org_id = $1 AND id = $2`, [orgId, id]);
  return r.rows[0] && channelOf(r.rows[0]);
}

/** The channels of `orgId` among `ids` (unknown ids and other orgs' are left out). */
export async function getChannels(sql: Sql, orgId: string, ids: readonly string[]): Promise<StoredChannel[]> {
  if (!ids.length) return [];
  const r = await sql.query<Row>(`SELECT ${columns} FROM channels WHERE org_id = $1 AND id = ANY($2::uuid[]) ORDER BY created_at, id`, [orgId, ids]);
  return r.rows.map(channelOf);
}

/** Channels of `orgId` in creation order. */
export async function listChannels(sql: Sql, orgId: string, q: { type?: string; limit: number; after?: { createdAtMs: number; id: string } }): Promise<{ items: StoredChannel[]; more: boolean }> {
  const r = await sql.query<Row>(
    `SELECT ${columns} FROM channels
     WHERE org_id = $1 AND ($2::text IS NULL OR type = $2) AND ($3::timestamptz IS NULL OR (created_at, id) > ($3, $4::uuid))
     ORDER BY created_at, id LIMIT $5`,
    [orgId, q.type ?? null, q.after ? new Date(q.after.createdAtMs) : null, q.after?.id ?? null, q.limit + 1],
  );
  return { items: r.rows.slice(0, q.limit).map(channelOf), more: r.rows.length > q.limit };
}

/** Replaces a channel's name, configuration, enabled flag and grouping (its type stays). Undefined when missing; 'conflict' when the name is taken. */
export async function updateChannel(sql: Sql, orgId: string, id: string, c: Omit<ChannelInput, 'type'>, now: Date): Promise<StoredChannel | undefined | 'conflict'> {
  const taken = await sql.query('SELECT 1 FROM channels WHERE org_id = $1 AND name = $2 AND id <> $3', [orgId, c.name, id]);
  if (taken.rowCount) return 'conflict';
  const r = await sql.query<Row>(`UPDATE channels SET name = $3, config = $4, enabled = $5, grouping = $7, updated_at = $6 WHERE org_id = $1 AND id = $2 RETURNING ${columns}`, [
    orgId,
    id,
    c.name,
    JSON.stringify(c.config),
    c.enabled,
    now,
    c.grouping ? JSON.stringify(c.grouping) : null,
  ]);
  return r.rows[0] && channelOf(r.rows[0]);
}

/** Deletes a channel and its deliveries. */
export async function deleteChannel(sql: Sql, orgId: string, id: string): Promise<boolean> {
  const r = await sql.query('DELETE FROM channels WHERE org_id = $1 AND id = $2', [orgId, id]);
  return r.rowCount > 0;
}

/** What a pass needs of a channel to address its notifications: whether it is enabled, and how it groups. */
export interface ChannelSwitch {
  id: string;
  enabled: boolean;
  name: string;
  grouping: Grouping | null;
}

/** Every channel of `orgId` as a pass addresses it. */
export async function channelSwitches(sql: Sql, orgId: string): Promise<ChannelSwitch[]> {
  const r = await sql.query<ChannelSwitch>('SELECT id, enabled, name, grouping FROM channels WHERE org_id = $1', [orgId]);
  return r.rows;
}
