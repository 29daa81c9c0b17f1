// Write: what the step and stages decided, stored in the pass' transaction — series states, new and
// changed alerts, their transitions, and the deliveries the enqueue stage addresses once the new
// alerts have ids.
import type { Sql } from '../../store/sql.js';
import { insertAlerts, insertTransitions, updateAlerts, type NewAlert, type StoredAlert, type StoredTransition } from '../alerts-store.js';
import { channelsToldOf, enqueueDeliveries, type NewDelivery } from '../deliveries-store.js';
import type { GroupAddition } from '../grouping/route.js';
import { addToGroups } from '../grouping/store.js';
import type { SeriesState } from '../rule.js';
import { saveSeriesStates } from '../store.js';
import type { PassSeries, PassTransition } from './result.js';
import type { NotifiedMove } from './stages/dedup.js';
import { route, type Addressing } from './stages/enqueue.js';

/**
 * Stores one pass of rule `ruleId`. New alerts' ids are filled into `series` (the pass' report).
 * Returns the transitions made, how many deliveries were queued and how many notification groups
 * alerts were added to (grouped channels).
 */
export async function writePass(
  tx: Sql,
  orgId: string,
  ruleId: string,
  now: Date,
  pass: { states: { seriesId: string; state: SeriesState }[]; moves: NotifiedMove[]; series: PassSeries[] },
  addressing: Omit<Addressing, 'told'>,
): Promise<{ transitions: PassTransition[]; notifications: number; grouped: number }> {
  await saveSeriesStates(tx, orgId, ruleId, pass.states, now);
  const created = pass.moves.filter((m) => !m.stored);
  const changed = pass.moves.filter((m) => m.stored);
  const inserted = await insertAlerts(tx, orgId, created.map((m): NewAlert => ({ ...m.identity!, ...m.change })), now);
  await updateAlerts(tx, orgId, changed.map((m) => ({ id: m.stored!.id, change: m.change })), now);
  // Follow-ups also reach channels told of the firing that the rule no longer names.
  const told = await channelsToldOf(tx, orgId, changed.filter((m) => m.send === 'acknowledged' || m.send === 'resolved').map((m) => m.stored!.id));

  const after: { move: NotifiedMove; alert: StoredAlert }[] = [
    ...created.map((move, i) => {
      const alert = inserted[i]!;
      if (move.seriesIndex !== null) pass.series[move.seriesIndex]!.alertId = alert.id;
      return { move, alert };
    }),
    ...changed.map((move) => ({ move, alert: { ...move.stored!, ...move.change } })),
  ];
  const rows: Omit<StoredTransition, 'id'>[] = [];
  const transitions: PassTransition[] = [];
  const deliveries: NewDelivery[] = [];
  const grouped: GroupAddition[] = [];
  for (const { move, alert } of after) {
    for (const t of move.transitions) {
      rows.push({ alertId: alert.id, at: new Date(t.at), from: t.from, to: t.to, actor: t.actor, value: move.value });
      transitions.push({ alertId: alert.id, fingerprint: alert.fingerprint, key: move.ref.key, dimensions: move.ref.dimensions, from: t.from, to: t.to, at: new Date(t.at), value: move.value, summary: alert.summary });
    }
    if (move.send) {
      const routed = route(alert, move.send, move.transitions.at(-1)?.actor, { ...addressing, told });
      deliveries.push(...routed.deliveries);
      grouped.push(...routed.grouped);
    }
  }
  await insertTransitions(tx, orgId, rows);
  await enqueueDeliveries(tx, orgId, deliveries, now);
  const groups = await addToGroups(tx, orgId, grouped, now);
  return { transitions, notifications: deliveries.length, grouped: groups };
}
