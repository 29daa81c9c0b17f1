// What one pass reports (the API's "evaluate now" answer and the evaluator's totals).
import type { Labels } from '../../core/labels.js';

/** One series of a pass. */
export interface PassSeries {
  seriesId: string;
  key: string;
  dimensions: Labels;
  /** Condition status after the pass ('error' when it could not be evaluated). */
  status: string;
  value: number | null;
  summary: string;
  alertId: string | null;
  alertState: string | null;
}

/** One alert transition of a pass. */
export interface PassTransition {
  alertId: string;
  fingerprint: string;
  key: string;
  dimensions: Labels;
  from: string | null;
  to: string;
  at: Date;
  value: number | null;
  summary: string;
}

export interface PassResult {
  ruleId: string;
  evaluatedAt: Date;
  seriesCount: number;
  truncated: boolean;
  series: PassSeries[];
  transitions: PassTransition[];
  /** Deliveries queued. */
  notifications: number;
  /** Series that could not be evaluated, and why. */
  errors: string[];
}
