// Every anomaly method, registered here and only here (registry.test.ts fails if a file in ./methods
// is missing), with the weights the ensemble uses when a request names none.
import type { AnomalyMethod } from './detector.js';
import { forecastInterval } from './methods/forecast-interval.js';
import { levelShift } from './methods/level-shift.js';
import { robustZScore } from './methods/robust-zscore.js';
import { rollingIqr } from './methods/rolling-iqr.js';
import { volatility } from './methods/volatility.js';

/** Every method by its stable name. */
export const methods: Readonly<Record<string, AnomalyMethod>> = Object.freeze({
  [robustZScore.name]: robustZScore,
  [forecastInterval.name]: forecastInterval,
  [levelShift.name]: levelShift,
  [rollingIqr.name]: rollingIqr,
  [volatility.name]: volatility,
});

/** A method and its weight in the ensemble (weights are relative; they need not sum to 1). */
export interface WeightedMethod {
  name: string;
  weight: number;
}

/**
 * The ensemble used when a request names no methods: every method, weight 1, except volatility at ½
 * (its signal is the noisiest alone: step sizes of a few points).
 */
export const defaultMethods: readonly WeightedMethod[] = Object.freeze(
  Object.keys(methods).map((name) => Object.freeze({ name, weight: name === volatility.name ? 0.5 : 1 })),
);
