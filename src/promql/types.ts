// The contract between the PromQL engine (src/promql/*: parse, plan, evaluate — pure, no I/O) and
// whoever serves it (src/prometheus/*: the store-backed source and the HTTP API). The engine asks
// the source once per selector for the raw samples of a time window, then evaluates in memory.
import type { Labels } from '../core/labels.js';

export type MatchType = '=' | '!=' | '=~' | '!~';

/** One label matcher of a selector; the metric name is the label `__name__`. */
export interface LabelMatcher {
  name: string;
  type: MatchType;
  value: string;
}

/** Raw samples of one series, ascending by time; `labels` include `__name__` (the metric key). */
export interface RawSeries {
  labels: Labels;
  timestampsMs: Float64Array;
  values: Float64Array;
}

/** The samples a selector needs: every series matching all `matchers`, samples with startMs < t ≤ endMs. */
export interface SelectRequest {
  matchers: LabelMatcher[];
  startMs: number;
  endMs: number;
}

/** Where the engine reads series from (the store, plus the platform's own series such as forecasts). */
export interface SeriesSource {
  select(req: SelectRequest): Promise<RawSeries[]>;
}

export interface QueryLimits {
  /** Prometheus' staleness lookback for instant selectors (default 5 minutes). */
  lookbackMs: number;
  /** Points per series a range query may return (Prometheus: 11,000). */
  maxPointsPerSeries: number;
  /** Samples the evaluation may hold at once; beyond it → execution error (Prometheus' query.max-samples). */
  maxSamples: number;
}

export const defaultQueryLimits: QueryLimits = { lookbackMs: 5 * 60_000, maxPointsPerSeries: 11_000, maxSamples: 50_000_000 };

/** `[unix seconds, "value"]`, the Prometheus API's sample: time as a float of seconds, value as Go formats it. */
export type PromSample = [number, string];

export type QueryResult =
  | { resultType: 'vector'; result: { metric: Labels; value: PromSample }[] }
  | { resultType: 'matrix'; result: { metric: Labels; values: PromSample[] }[] }
  | { resultType: 'scalar'; result: PromSample }
  | { resultType: 'string'; result: PromSample };

/** Prometheus' error types and their HTTP statuses: bad_data 400, execution 422, timeout 503. */
export type PromErrorType = 'bad_data' | 'execution' | 'timeout';

export class PromQLError extends Error {
  constructor(
    readonly type: PromErrorType,
    message: string,
    /** Character offsets in the query of the offending part, when known. */
    readonly position?: { start: number; end: number },
  ) {
    super(message);
    this.name = 'PromQLError';
  }
}
