// The `bounds` and `baseline` request fields of anomaly detection (detection requests, detection
// schedules, series settings): their schemas and the checks a schema cannot express.
import { Type, type Static } from 'typebox';
import { AppError } from '../core/errors.js';
import { timeParam } from './cursor.js';
import { TimeInput } from './schemas.js';

export const BoundsSchema = Type.Object(
  { min: Type.Number(), max: Type.Number() },
  { additionalProperties: false, description: 'The values the series can take when known (0–100 for a percentage); finite, min < max, max − min finite. Values outside are anomalies with score 1' },
);

export const BaselineSchema = Type.Object(
  { from: TimeInput, to: TimeInput },
  { additionalProperties: false, description: 'A reference period (from inclusive, to exclusive) that defines normal: later points are judged against it alone. It must hold at least 20 points' },
);

/** Bounds as given, refused (400 naming `field`) unless finite with min < max. */
export function boundsParam(b: Static<typeof BoundsSchema>, field: string): { min: number; max: number } {
  if (!(Number.isFinite(b.min) && Number.isFinite(b.max))) throw new AppError('validation_failed', `${field} must have finite min and max`, [{ field, message: 'must have finite min and max' }]);
  if (!(b.min < b.max)) throw new AppError('validation_failed', `${field}.min must be less than ${field}.max (got ${b.min} and ${b.max})`, [{ field, message: 'min must be less than max' }]);
  // Methods scale by the span: one beyond the range of a double would turn every scaled value into 0 or NaN.
  if (!Number.isFinite(b.max - b.min)) throw new AppError('validation_failed', `${field} spans more than the range of a double (max − min overflows)`, [{ field, message: 'max − min must be a finite number' }]);
  return { min: b.min, max: b.max };
}

/** A baseline period in epoch ms, refused (400 naming `field`) unless from < to. */
export function baselineParam(b: Static<typeof BaselineSchema>, field: string): { fromMs: number; toMs: number } {
  const fromMs = timeParam(b.from, `${field}.from`);
  const toMs = timeParam(b.to, `${field}.to`);
  if (!(fromMs < toMs)) throw new AppError('validation_failed', `${field}.from must be before ${field}.to`, [{ field, message: 'from must be before to' }]);
  return { fromMs, toMs };
}
