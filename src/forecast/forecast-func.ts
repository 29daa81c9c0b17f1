// The forecast domain's contract with whatever runs a fit: the statistical backend calls a
// ForecastFunc and does not know whether it runs on this thread or on a worker pool. src/workers
// implements it on threads; the composition root (server.ts) passes that in.
import runForecastTask, { type ForecastTask, type ForecastTaskResult } from './worker-task.js';

/** Fits and predicts one series; resolves with copies the caller owns. */
export type ForecastFunc = (task: ForecastTask) => Promise<ForecastTaskResult>;

/** {@link ForecastFunc} on the calling thread: tests, one-shot tools and FORECAST_WORKERS=0. */
export const forecastOnThisThread: ForecastFunc = async (task) => runForecastTask(task);
