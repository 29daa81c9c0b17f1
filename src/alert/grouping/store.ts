// Notification groups and their alerts: storage, scoped by org in every query. A pass (or an action)
// adds alerts in its transaction; the delivery job claims due groups with FOR UPDATE SKIP LOCKED, so
// two runs never look at one group twice, and a pass adding to a group waits for a flush holding it.
import type { Labels } from '../../core/labels.js';
import type { Sql } from '../../store/sql.js';
import type { StoredPayload } from '../deliveries-store.js';
import type { Grouping } from './config.js';
import type { MemberPayload } from './payload.js';
import type { GroupAddition } from './route.js';
import { firstFlushAt, type FlushDecision, type GroupMember, type GroupState } from './timing.js';

/** A group claimed for a look, with its channel's name and settings. */
export interface DueGroup {
  id: string;
  channelId: string;
  key: string;
  labels: Labels;
  receiver: string;
  grouping: Grouping | null;
  /** Whether the channel is enabled: a disabled channel's groups are dropped at their look. */
  enabled: boolean;
  state: GroupState;
  maxAttempts: number;
}

/** A group's alert as the flush reads it. */
export type StoredMember = GroupMember & MemberPayload & { alertId: string };

const ms = (d: Date | string | null): number | null => (d === null ? null : new Date(d).getTime());

/**
 * Adds alert events to their groups (creating groups, due groupWait later) and returns how many
 * groups were touched. Groups are written in (channel, key) order, so concurrent passes lock them in
 * one order. A resolution of an alert the group never held (the channel was told of its firing before
 * it grouped) counts as notified firing, so the group still sends the resolution.
 */
export async function addToGroups(tx: Sql, orgId: string, additions: readonly GroupAddition[], now: Date): Promise<number> {
  if (!additions.length) return 0;
  const nowMs = now.getTime();
  const groups = new Map<string, { channel_id: string; group_key: string; labels: Labels; next_flush_at: string; max_attempts: number }>();
  const members = new Map<string, GroupAddition>();
  for (const a of additions) {
    const id = `${a.channelId}\u0000${a.key}`;
    const at = firstFlushAt(a.grouping, a.startsAtMs, nowMs);
    const g = groups.get(id);
    if (!g || Date.parse(g.next_flush_at) > at) groups.set(id, { channel_id: a.channelId, group_key: a.key, labels: a.labels, next_flush_at: new Date(at).toISOString(), max_attempts: Math.max(a.maxAttempts, g?.max_attempts ?? 1) });
    members.set(`${id}\u0000${a.fingerprint}`, a); // the latest event of an alert wins
  }
  const ordered = [...groups.values()].sort((x, y) => (x.channel_id < y.channel_id ? -1 : x.channel_id > y.channel_id ? 1 : x.group_key < y.group_key ? -1 : x.group_key > y.group_key ? 1 : 0));
  const r = await tx.query<{ id: string; channel_id: string; group_key: string }>(
    `INSERT INTO notification_groups (org_id, channel_id, group_key, labels, next_flush_at, max_attempts, created_at, updated_at)
     SELECT $1, g.channel_id, g.group_key, g.labels, g.next_flush_at, g.max_attempts, $3, $3
     FROM ROWS FROM (jsonb_to_recordset($2::jsonb) AS (channel_id uuid, group_key text, labels jsonb, next_flush_at timestamptz, max_attempts integer))
       WITH ORDINALITY AS g(channel_id, group_key, labels, next_flush_at, max_attempts, n)
     ORDER BY g.n
     ON CONFLICT (org_id, channel_id, group_key) DO UPDATE SET max_attempts = EXCLUDED.max_attempts, updated_at = EXCLUDED.updated_at
     RETURNING id, channel_id, group_key`,
    [orgId, JSON.stringify(ordered), now],
  );
  const groupId = new Map(r.rows.map((x) => [`${x.channel_id}\u0000${x.group_key}`, x.id]));
  const rows = [...members.values()].map((a) => ({
    group_id: groupId.get(`${a.channelId}\u0000${a.key}`)!,
    fingerprint: a.fingerprint,
    alert_id: a.alertId,
    status: a.status,
    starts_at: new Date(a.startsAtMs).toISOString(),
    payload: a.payload,
  }));
  const m = await tx.query<{ group_id: string; fingerprint: string; status: string; inserted: boolean }>(
    `INSERT INTO notification_group_alerts (org_id, group_id, fingerprint, alert_id, status, starts_at, payload, updated_at)
     SELECT $1, m.group_id, m.fingerprint, m.alert_id, m.status, m.starts_at, m.payload, $3
     FROM jsonb_to_recordset($2::jsonb) AS m(group_id uuid, fingerprint text, alert_id uuid, status text, starts_at timestamptz, payload jsonb)
     ON CONFLICT (group_id, fingerprint) DO UPDATE SET alert_id = EXCLUDED.alert_id, status = EXCLUDED.status, starts_at = EXCLUDED.starts_at, payload = EXCLUDED.payload, updated_at = EXCLUDED.updated_at
     RETURNING group_id, fingerprint, status, (xmax = 0) AS inserted`,
    [orgId, JSON.stringify(rows), now],
  );
  const unknownResolved = m.rows.filter((x) => x.inserted && x.status === 'resolved');
  if (unknownResolved.length) {
    await tx.query(
      `UPDATE notification_groups g SET notified_firing = g.notified_firing || x.fps
       FROM (SELECT group_id, array_agg(fingerprint) AS fps FROM jsonb_to_recordset($2::jsonb) AS u(group_id uuid, fingerprint text) GROUP BY group_id) x
       WHERE g.org_id = $1 AND g.id = x.group_id`,
      [orgId, JSON.stringify(unknownResolved.map((x) => ({ group_id: x.group_id, fingerprint: x.fingerprint })))],
    );
  }
  return groups.size;
}

type GroupRow = {
  id: string;
  channel_id: string;
  group_key: string;
  labels: Labels;
  receiver: string;
  grouping: Grouping | null;
  enabled: boolean;
  next_flush_at: Date;
  last_notified_at: Date | null;
  notified_firing: string[];
  notified_resolved: string[];
  max_attempts: number;
};

/** Claims up to `limit` groups of `orgId` due at `now`, locked until the transaction `tx` ends; groups another run holds are skipped. */
export async function claimDueGroups(tx: Sql, orgId: string, now: Date, limit: number): Promise<DueGroup[]> {
  const r = await tx.query<GroupRow>(
    `SELECT g.id, g.channel_id, g.group_key, g.labels, c.name AS receiver, c.grouping, c.enabled, g.next_flush_at, g.last_notified_at, g.notified_firing, g.notified_resolved, g.max_attempts
     FROM notification_groups g JOIN channels c ON c.org_id = g.org_id AND c.id = g.channel_id
     WHERE g.org_id = $1 AND g.next_flush_at <= $2
     ORDER BY g.next_flush_at, g.id LIMIT $3
     FOR UPDATE OF g SKIP LOCKED`,
    [orgId, now, limit],
  );
  return r.rows.map((x) => ({
    id: x.id,
    channelId: x.channel_id,
    key: x.group_key,
    labels: x.labels,
    receiver: x.receiver,
    grouping: x.grouping,
    enabled: x.enabled,
    maxAttempts: x.max_attempts,
    state: { nextFlushAtMs: ms(x.next_flush_at)!, lastNotifiedAtMs: ms(x.last_notified_at), notifiedFiring: x.notified_firing, notifiedResolved: x.notified_resolved },
  }));
}

/** The alerts of these groups of `orgId`, by group id. */
export async function membersOf(sql: Sql, orgId: string, groupIds: readonly string[]): Promise<Map<string, StoredMember[]>> {
  const out = new Map<string, StoredMember[]>();
  if (!groupIds.length) return out;
  // An alert silenced now (state suppressed) is muted: it stays in its group, unnotified.
  const r = await sql.query<{ group_id: string; fingerprint: string; alert_id: string; status: 'firing' | 'resolved'; payload: StoredPayload; muted: boolean }>(
    `SELECT m.group_id, m.fingerprint, m.alert_id, m.status, m.payload, coalesce(a.state = 'suppressed', false) AS muted
     FROM notification_group_alerts m LEFT JOIN alerts a ON a.org_id = m.org_id AND a.id = m.alert_id
     WHERE m.org_id = $1 AND m.group_id = ANY($2::uuid[]) ORDER BY m.group_id, m.starts_at, m.fingerprint`,
    [orgId, groupIds],
  );
  for (const x of r.rows) out.set(x.group_id, [...(out.get(x.group_id) ?? []), { fingerprint: x.fingerprint, alertId: x.alert_id, status: x.status, payload: x.payload, muted: x.muted && x.status === 'firing' }]);
  return out;
}

/** Stores one look at a claimed group: its next state and the resolved alerts that leave, or the group's removal. */
export async function saveLook(tx: Sql, orgId: string, groupId: string, d: FlushDecision, now: Date): Promise<void> {
  if (d.remove) {
    await tx.query('DELETE FROM notification_groups WHERE org_id = $1 AND id = $2', [orgId, groupId]);
    return;
  }
  if (d.drop.length) await tx.query(`DELETE FROM notification_group_alerts WHERE org_id = $1 AND group_id = $2 AND status = 'resolved' AND fingerprint = ANY($3::text[])`, [orgId, groupId, d.drop]);
  const n = d.next;
  await tx.query(
    `UPDATE notification_groups SET next_flush_at = $3, last_notified_at = $4, notified_firing = $5::text[], notified_resolved = $6::text[], updated_at = $7 WHERE org_id = $1 AND id = $2`,
    [orgId, groupId, new Date(n.nextFlushAtMs), n.lastNotifiedAtMs === null ? null : new Date(n.lastNotifiedAtMs), [...n.notifiedFiring], [...n.notifiedResolved], now],
  );
}

/** Orgs among `orgIds` with groups due at `now` (the delivery job visits only those). */
export async function orgsWithDueGroups(sql: Sql, orgIds: readonly string[], now: Date): Promise<string[]> {
  if (!orgIds.length) return [];
  const r = await sql.query<{ org_id: string }>('SELECT DISTINCT org_id FROM notification_groups WHERE org_id = ANY($1::uuid[]) AND next_flush_at <= $2', [orgIds, now]);
  return r.rows.map((x) => x.org_id);
}

/** The earliest times after `now` at which groups of `orgIds` become due (at most `limit`, ascending). */
export async function upcomingFlushes(sql: Sql, orgIds: readonly string[], now: Date, limit = 5): Promise<Date[]> {
  if (!orgIds.length) return [];
  const r = await sql.query<{ at: Date }>(
    'SELECT DISTINCT next_flush_at AS at FROM notification_groups WHERE org_id = ANY($1::uuid[]) AND next_flush_at > $2 ORDER BY at LIMIT $3',
    [orgIds, now, limit],
  );
  return r.rows.map((x) => new Date(x.at));
}

/** Drops a channel's groups (its groupBy changed or grouping was turned off: grouping starts over). */
export async function dropChannelGroups(sql: Sql, orgId: string, channelId: string): Promise<number> {
  return (await sql.query('DELETE FROM notification_groups WHERE org_id = $1 AND channel_id = $2', [orgId, channelId])).rowCount;
}

/** The groups of a channel with their alert counts, for inspection (tests, the API). */
export async function groupsOfChannel(sql: Sql, orgId: string, channelId: string): Promise<{ key: string; labels: Labels; nextFlushAt: Date; lastNotifiedAt: Date | null; alerts: number }[]> {
  const r = await sql.query<{ group_key: string; labels: Labels; next_flush_at: Date; last_notified_at: Date | null; alerts: number }>(
    `SELECT g.group_key, g.labels, g.next_flush_at, g.last_notified_at, (SELECT count(*)::int FROM notification_group_alerts a WHERE a.org_id = g.org_id AND a.group_id = g.id) AS alerts
     FROM notification_groups g WHERE g.org_id = $1 AND g.channel_id = $2 ORDER BY g.group_key`,
    [orgId, channelId],
  );
  return r.rows.map((x) => ({ key: x.group_key, labels: x.labels, nextFlushAt: new Date(x.next_flush_at), lastNotifiedAt: x.last_notified_at && new Date(x.last_notified_at), alerts: x.alerts }));
}
