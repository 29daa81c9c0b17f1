// Read: what one pass needs from the store before anything is decided — the rule's series with the
// samples its kind looks at (its spec's read window), and the org's name, channels and silences (once
// per org and tick).
import type { Sql } from '../../store/sql.js';
import { getOrg } from '../../tenancy/orgs.js';
import { channelSwitches } from '../channels-store.js';
import { ruleLookbackMs } from '../evaluate.js';
import { specOf } from '../rules/index.js';
import { currentSilences, type StoredSilence } from '../silences-store.js';
import type { StoredRule } from '../store.js';
import type { SamplesFunc, SeriesSamples } from './deps.js';

/** Most series one pass evaluates (a selector matching more is cut here, and the pass says so). */
export const maxSeriesPerPass = 1000;
/** Most raw samples read per series for kinds that read raw points (threshold, rate of change, missing data). */
export const maxSamplesPerSeries = 10_000;

/** Reads the series of a rule with the samples its kind needs (one statement in the server's SamplesFunc). */
export async function readRuleSeries(samples: SamplesFunc, rule: StoredRule, nowMs: number): Promise<{ series: SeriesSamples[]; truncated: boolean }> {
  const lookback = ruleLookbackMs(rule);
  // A kind reading no samples (lookback 0: missing data) gets an empty window, which still brings each series' last point time.
  const window = specOf(rule.condition).readWindow?.(rule, nowMs) ?? { fromMs: lookback > 0 ? nowMs - lookback : nowMs + 1, maxPoints: maxSamplesPerSeries };
  return samples(rule.orgId, rule.key, rule.dimensions, { ...window, toMs: nowMs, maxSeries: maxSeriesPerPass });
}

/**
 * What every pass of one org's tick shares: the org's name, its channels and its silences, read once
 * per tick instead of once per rule (a silence or channel created during a tick counts from the next).
 */
export interface OrgContext {
  org: { id: string; name: string };
  channels: Map<string, { id: string; enabled: boolean }>;
  silences: StoredSilence[];
}

/** Reads an org's {@link OrgContext} at `now`. */
export async function readOrgContext(sql: Sql, orgId: string, now: Date): Promise<OrgContext> {
  const org = (await getOrg(sql, orgId)) ?? { id: orgId, name: '' };
  const channels = await channelSwitches(sql, orgId);
  return { org: { id: org.id, name: org.name }, channels: new Map(channels.map((c) => [c.id, c])), silences: await currentSilences(sql, orgId, now) };
}
