// Forwarding to Alertmanagers: re-sends the firing alerts of every `alertmanager` channel each minute,
// as Prometheus' notifier does, so Alertmanager keeps them active (each post is valid for 4 minutes:
// src/notify/alertmanager/postable.ts). Resolution reaches Alertmanager through the ordinary resolved
// event; an alert the platform stops re-sending (its rule disabled or no longer naming the channel,
// the alert silenced here) resolves there by itself when its last `endsAt` passes.
import type { Clock } from '../core/clock.js';
import type { NotificationGroup } from '../notify/notifier.js';
import { fromRow, type Row } from '../store/entity.js';
import type { Sql } from '../store/sql.js';
import { listOrgs, type Organization } from '../tenancy/orgs.js';
import { alertEntity, type StoredAlert } from './alerts-store.js';
import { enqueueDeliveries, type NewDelivery } from './deliveries-store.js';
import { payloadOf } from './payload.js';

export interface ForwardDeps {
  sql: Sql;
  now: Clock;
  publicUrl?: string | null;
}

/** The group key of re-send messages (one group per channel: its receiver is the channel's name). */
export const resendGroupKey = 'alertmanager-resend';

/** At most this many alerts per re-send message; the rest are counted in `truncatedAlerts`. */
export const maxResendAlerts = 1000;

/** A re-send is worth one attempt: the next one follows a minute later. */
export const resendMaxAttempts = 1;

/** States Alertmanager must keep active: the condition holds, whoever acknowledged it. */
const activeStates = ['firing', 'acknowledged'];

/** The enabled `alertmanager` channels of these orgs. */
async function alertmanagerChannels(sql: Sql, orgIds: readonly string[]): Promise<{ id: string; orgId: string; name: string }[]> {
  if (!orgIds.length) return [];
  const r = await sql.query<{ id: string; org_id: string; name: string }>(
    `SELECT id, org_id, name FROM channels WHERE org_id = ANY($1::uuid[]) AND type = 'alertmanager' AND enabled ORDER BY org_id, created_at, id`,
    [orgIds],
  );
  return r.rows.map((x) => ({ id: x.id, orgId: x.org_id, name: x.name }));
}

/** The active alerts of the enabled rules of `orgId` that name `channelId`, oldest first (at most `limit`), and how many there are. */
async function activeAlertsOfChannel(sql: Sql, orgId: string, channelId: string, limit: number): Promise<{ alerts: StoredAlert[]; total: number }> {
  const r = await sql.query<Row>(
    `SELECT ${alertEntity.columns}, count(*) OVER () AS total_count FROM alerts
     WHERE org_id = $1 AND state = ANY($3::text[])
       AND rule_id IN (SELECT id FROM alert_rules WHERE org_id = $1 AND enabled AND channels @> ARRAY[$2::uuid])
     ORDER BY coalesce(fired_at, started_at), id LIMIT $4`,
    [orgId, channelId, activeStates, limit],
  );
  return { alerts: r.rows.map((row) => fromRow(alertEntity, row)), total: r.rows.length ? Number(r.rows[0]!.total_count) : 0 };
}

/** Queues one delivery per alertmanager channel with firing alerts; returns how many were queued. */
export async function resendToAlertmanagers(deps: ForwardDeps): Promise<number> {
  const orgs = new Map<string, Organization>((await listOrgs(deps.sql)).map((o) => [o.id, o]));
  let queued = 0;
  for (const channel of await alertmanagerChannels(deps.sql, [...orgs.keys()])) {
    const { alerts, total } = await activeAlertsOfChannel(deps.sql, channel.orgId, channel.id, maxResendAlerts);
    if (!alerts.length) continue;
    const o = orgs.get(channel.orgId)!;
    const org = { id: o.id, name: o.name };
    const payloads = alerts.map((a) => payloadOf(deps.publicUrl, org, a, 'firing'));
    const group: NotificationGroup = {
      key: resendGroupKey,
      labels: {},
      receiver: channel.name,
      status: 'firing',
      alerts: payloads.map((p) => p.alert),
      truncatedAlerts: total - alerts.length,
    };
    const delivery: NewDelivery = {
      alertId: null,
      channelId: channel.id,
      event: 'firing',
      maxAttempts: resendMaxAttempts,
      payload: { ...payloads[0]!, group },
    };
    queued += (await enqueueDeliveries(deps.sql, channel.orgId, [delivery], deps.now())).length;
  }
  return queued;
}
