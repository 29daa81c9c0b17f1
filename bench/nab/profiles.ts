// NAB's application profiles: the weights of a true positive, a false positive and a missed window.
import { finiteNumber, isObject } from './json.js';

/** The cost matrix of one NAB profile (NAB's `CostMatrix`; its unused `tnWeight` is dropped). */
export interface Profile {
  /** Reward for detecting a window at its left edge (scaled down towards the right edge). */
  readonly tpWeight: number;
  /** Penalty per detection outside every window, at most this much (scaled by distance to the previous window). */
  readonly fpWeight: number;
  /** Penalty for a window with no detection. */
  readonly fnWeight: number;
}

/** NAB's `standard` profile. */
export const STANDARD: Profile = Object.freeze({ tpWeight: 1, fpWeight: 0.11, fnWeight: 1 });
/** NAB's `reward_low_FP_rate` profile: false positives cost twice as much. */
export const REWARD_LOW_FP_RATE: Profile = Object.freeze({ tpWeight: 1, fpWeight: 0.22, fnWeight: 1 });
/** NAB's `reward_low_FN_rate` profile: missed windows cost twice as much. */
export const REWARD_LOW_FN_RATE: Profile = Object.freeze({ tpWeight: 1, fpWeight: 0.11, fnWeight: 2 });

/** The three profiles under the names NAB's profiles.json, thresholds.json and final_results.json use. */
export const NAB_PROFILES = Object.freeze({
  standard: STANDARD,
  reward_low_FP_rate: REWARD_LOW_FP_RATE,
  reward_low_FN_rate: REWARD_LOW_FN_RATE,
});

/** A key of {@link NAB_PROFILES}. */
export type ProfileName = keyof typeof NAB_PROFILES;

/** The profile names in NAB's order. */
export const PROFILE_NAMES: readonly ProfileName[] = Object.freeze(Object.keys(NAB_PROFILES) as ProfileName[]);

/**
 * Reads the parsed content of NAB's profiles.json (`{name: {CostMatrix: {tpWeight, fpWeight,
 * fnWeight, tnWeight}}}`). Throws when a weight is missing or not a finite number.
 */
export function parseProfiles(json: unknown): Record<string, Profile> {
  if (!isObject(json)) throw new Error('profiles.json: expected an object of profiles');
  const out: Record<string, Profile> = {};
  for (const [name, entry] of Object.entries(json)) {
    const cost = isObject(entry) ? entry['CostMatrix'] : undefined;
    if (!isObject(cost)) throw new Error(`profiles.json: ${name} has no CostMatrix`);
    const weight = (key: string): number => finiteNumber(cost[key], `profiles.json: ${name}.CostMatrix.${key}`);
    out[name] = Object.freeze({ tpWeight: weight('tpWeight'), fpWeight: weight('fpWeight'), fnWeight: weight('fnWeight') });
  }
  return out;
}
