// Checks of a detection request, each failing with an AnomalyError that names the rule.
import type { DetectionMode, ValueBounds } from './detector.js';
import { AnomalyError } from './errors.js';
import { methods, type WeightedMethod } from './registry.js';

/**
 * Throws unless both arrays have the same length and every value and timestamp is finite. Order is not
 * checked: the methods read the values as evenly spaced steps in the order given, and timestamps only
 * set the candidate periods (from the median spacing) and label the anomalies, so the odd repeated or
 * out-of-order stamp of real exports (clock changes) does no harm.
 */
export function checkSeries(values: ArrayLike<number>, timestampsMs: ArrayLike<number>): void {
  if (values.length !== timestampsMs.length) {
    throw new AnomalyError('length_mismatch', `values and timestamps must have the same length (got ${values.length} and ${timestampsMs.length})`);
  }
  for (let i = 0; i < values.length; i++) {
    if (!Number.isFinite(values[i])) throw new AnomalyError('non_finite_value', `values[${i}] is ${values[i]}: every value must be a finite number`, { index: i });
    if (!Number.isFinite(timestampsMs[i])) throw new AnomalyError('non_finite_value', `timestamps[${i}] is not a finite time`, { index: i });
  }
}

/** Throws unless every method is registered, named once, with a finite weight ≥ 0, and the weights sum above 0. */
export function checkMethods(list: readonly WeightedMethod[]): void {
  const seen = new Set<string>();
  let total = 0;
  for (const m of list) {
    if (!Object.hasOwn(methods, m.name)) {
      throw new AnomalyError('unknown_method', `Unknown anomaly method "${m.name}"; known methods: ${Object.keys(methods).join(', ')}`, { method: m.name });
    }
    if (seen.has(m.name)) throw new AnomalyError('invalid_option', `Method "${m.name}" is listed twice`, { method: m.name });
    seen.add(m.name);
    if (!(Number.isFinite(m.weight) && m.weight >= 0)) throw new AnomalyError('invalid_weight', `The weight of "${m.name}" must be a finite number ≥ 0 (got ${m.weight})`, { method: m.name });
    total += m.weight;
  }
  if (!(total > 0)) throw new AnomalyError('zero_weight_sum', 'The method weights sum to zero: give at least one method a positive weight');
}

/** Throws unless sensitivity ∈ [0, 1], mode is known and the context counts are whole numbers ≥ 0. */
export function checkOptions(sensitivity: number, mode: DetectionMode, context: { before: number; after: number }): void {
  if (!(sensitivity >= 0 && sensitivity <= 1)) throw new AnomalyError('invalid_option', `sensitivity must be a number in [0, 1] (got ${sensitivity})`);
  if (mode !== 'batch' && mode !== 'online') throw new AnomalyError('invalid_option', `mode must be "batch" or "online" (got ${String(mode)})`);
  for (const k of ['before', 'after'] as const) {
    if (!(Number.isInteger(context[k]) && context[k] >= 0)) throw new AnomalyError('invalid_option', `context.${k} must be a whole number ≥ 0 (got ${context[k]})`);
  }
}

/** Throws unless n covers the most any of the methods needs in this mode. */
export function checkLength(n: number, list: readonly WeightedMethod[], mode: DetectionMode): void {
  let need = 0;
  let who = '';
  for (const m of list) {
    const k = methods[m.name]!.minPoints(mode);
    if (k > need) [need, who] = [k, m.name];
  }
  if (n < need) throw new AnomalyError('too_few_points', `${mode} detection with ${who} needs at least ${need} points; got ${n}`, { need, got: n });
}

/** Throws unless min and max are finite and min < max. */
export function checkBounds(b: ValueBounds): void {
  if (!(Number.isFinite(b.min) && Number.isFinite(b.max) && b.min < b.max)) {
    throw new AnomalyError('invalid_option', `bounds must have finite min < max (got min ${b.min}, max ${b.max})`, { field: 'bounds' });
  }
}

/** Throws unless the baseline period's ends are finite times with from < to. */
export function checkBaseline(b: { fromMs: number; toMs: number }): void {
  if (!(Number.isFinite(b.fromMs) && Number.isFinite(b.toMs) && b.fromMs < b.toMs)) {
    throw new AnomalyError('invalid_option', 'baseline.from must be a time before baseline.to', { field: 'baseline' });
  }
}

/** Throws unless a resume point lies within the series and the run is online (batch cannot resume). */
export function checkResume(r: { from: number }, n: number, mode: DetectionMode): void {
  if (mode !== 'online') throw new AnomalyError('invalid_option', 'only online detection can resume from a saved state');
  if (!(Number.isInteger(r.from) && r.from >= 0 && r.from <= n)) throw new AnomalyError('invalid_option', `resume.from must be an index in [0, ${n}] (got ${r.from})`);
}
