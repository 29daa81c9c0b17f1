// Every anomaly method, registered here and only here (registry.test.ts fails if a file in ./methods
// is missing), with the weights the ensemble uses when a request names none.
import type { AnomalyMethod, DetectionMode } from './detector.js';
import { forecastInterval } from './methods/forecast-interval.js';
import { levelShift } from './methods/level-shift.js';
import { robustZScore } from './methods/robust-zscore.js';
import { rollingIqr } from './methods/rolling-iqr.js';
import { sequenceContext } from './methods/sequence-context.js';
import { volatility } from './methods/volatility.js';

/** Every method by its stable name. */
export const methods: Readonly<Record<string, AnomalyMethod>> = Object.freeze({
  [robustZScore.name]: robustZScore,
  [forecastInterval.name]: forecastInterval,
  [levelShift.name]: levelShift,
  [rollingIqr.name]: rollingIqr,
  [volatility.name]: volatility,
  [sequenceContext.name]: sequenceContext,
});

/** A method and its weight in the ensemble (weights are relative; they need not sum to 1). */
export interface WeightedMethod {
  name: string;
  weight: number;
}

/**
 * Default weights: the statistical methods 1 each, volatility ½ (its signal is the noisiest alone: step
 * sizes of a few points), and sequence-context 3, chosen with its confidence power by
 * leave-one-category-out cross-validation on NAB (bench/nab-weights.ts: every fold chose weight 3 and
 * power 1.5 from 1.5–6 × 1.5–3). The combined score (./combine.ts) averages the highest scores holding
 * half the weight (3.75 of 7.5), so the sequence method's view counts, with the statistical methods
 * that see most.
 */
const SEQUENCE_WEIGHT = 3;
const weightOf = (name: string): number => (name === volatility.name ? 0.5 : name === sequenceContext.name ? SEQUENCE_WEIGHT : 1);

/** The ensemble used when a request names no methods: every method with the weights above. */
export const defaultMethods: readonly WeightedMethod[] = Object.freeze(Object.keys(methods).map((name) => Object.freeze({ name, weight: weightOf(name) })));

/**
 * Batch mode weighs sequence-context as one statistical method: its weight of 3 was chosen for online
 * streams (NAB), and in batch it still reads the window as a stream while the statistical methods see
 * the whole of it, so a dip to a level the series visits daily, which only they can call odd, must not
 * be outvoted.
 */
export const batchDefaultMethods: readonly WeightedMethod[] = Object.freeze(
  defaultMethods.map((m) => (m.name === sequenceContext.name ? Object.freeze({ name: m.name, weight: 1 }) : m)),
);

/** The default ensemble of a mode. */
export function defaultMethodsFor(mode: DetectionMode): readonly WeightedMethod[] {
  return mode === 'batch' ? batchDefaultMethods : defaultMethods;
}
