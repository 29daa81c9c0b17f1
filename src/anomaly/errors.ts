// The errors of a detection request: an AppError (src/errors.ts) the API's handler maps to HTTP 400,
// with a `reason` saying which rule failed.
import { AppError } from '../core/errors.js';

export type AnomalyErrorReason =
  | 'too_few_points'
  | 'non_finite_value'
  | 'length_mismatch'
  | 'unknown_method'
  | 'invalid_weight'
  | 'zero_weight_sum'
  | 'invalid_option';

export class AnomalyError extends AppError {
  readonly reason: AnomalyErrorReason;

  constructor(reason: AnomalyErrorReason, message: string, details?: unknown) {
    super(reason === 'too_few_points' ? 'insufficient_data' : 'validation_failed', message, details);
    this.name = 'AnomalyError';
    this.reason = reason;
  }
}
