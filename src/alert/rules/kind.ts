// The interface every rule kind implements: its condition's schema as the API accepts it, the
// defaults that normalisation fills in, how far back it reads and how it evaluates one series. One
// file per kind in this folder, registered in ./index.ts.
import { Type, type Static, type TSchema } from 'typebox';
import type { AlertRule, EvaluationResult, SeriesInput, SeriesState } from '../rule.js';

/** The samples a pass reads per series for a rule: epoch ms from `fromMs` to now, the newest `maxPoints`. */
export interface ReadWindow {
  fromMs: number;
  maxPoints: number;
  /** Means of epoch-aligned buckets of this many ms instead of raw points. */
  bucketMs?: number;
}

export interface RuleKindSpec<C extends { kind: string } = { kind: string }, S extends TSchema = TSchema> {
  readonly kind: C['kind'];
  /** The condition as the API accepts it (a JSON object with `kind`; optional fields have defaults). */
  readonly schema: S;
  /** The condition with every optional field filled in: what is stored and evaluated. */
  normalise(input: Static<S>): C;
  /**
   * The condition's status for one series at `nowMs` (epoch ms), given what the previous pass
   * remembered (`prev`, undefined on the first pass). Pure: no I/O, no clock; samples and anomalies
   * newer than `nowMs` are ignored. Every number in the result is finite or null.
   */
  evaluate(rule: AlertRule & { condition: C }, prev: SeriesState | undefined, input: SeriesInput, nowMs: number): EvaluationResult;
  /**
   * How far back (ms) the pass must read samples (and, for anomaly rules, anomalies) before `nowMs`
   * so that `evaluate` sees everything it uses. 0 = the kind reads no samples.
   */
  lookbackMs(condition: C, rule: AlertRule): number;
  /** What a pass reads per series when the kind needs more than raw points over `lookbackMs` (detection history, a forecast grid). */
  readWindow?(rule: AlertRule & { condition: C }, nowMs: number): ReadWindow;
}

/** A string of a fixed set (one "must be equal to one of the allowed values" error, not one per literal). */
export const literals = <T extends string>(xs: readonly T[]) => Type.Unsafe<T>({ type: 'string', enum: [...xs] });

/**
 * A condition's number, checked before use: the API accepts only finite numbers, but a rule stored
 * before it did may hold null (JSON's rendering of 1e999), which compares as 0. Throws, so the pass
 * reports the rule as broken for that series instead of firing on it.
 */
export function finiteSetting(value: unknown, name: string): number {
  if (typeof value !== 'number' || !Number.isFinite(value)) throw new RangeError(`condition.${name} is not a finite number (${String(value)}): change the rule`);
  return value;
}
