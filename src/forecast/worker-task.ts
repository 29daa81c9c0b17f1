// The CPU-bound part of a statistical forecast, behind the ForecastFunc (forecast-func.ts) a worker pool implements.
import { autoForecast } from './auto.js';

export interface ForecastTask {
  values: Float64Array;
  candidatePeriods: number[];
  horizon: number;
  levels: number[];
}

export interface ForecastTaskResult {
  model: string;
  mean: Float64Array;
  intervals: { level: number; lower: Float64Array; upper: Float64Array }[];
  params: Record<string, unknown>;
}

/** Fits and predicts; pure, so it runs the same in a worker and inline. */
export default function runForecastTask(task: ForecastTask): ForecastTaskResult {
  const r = autoForecast(task.values, { candidatePeriods: task.candidatePeriods, horizon: task.horizon, levels: task.levels });
  return { model: r.model, mean: r.mean, intervals: r.intervals, params: r.params ?? {} };
}
