// The same tasks on the calling thread: for tests, one-shot tools and FORECAST_WORKERS=0.
import runDetectTask, { unwrapDetect } from '../anomaly/worker-task.js';
import runForecastTask from '../forecast/worker-task.js';
import type { DetectRunner, ForecastRunner } from './pool.js';

export const inlineForecast: ForecastRunner = async (task) => runForecastTask(task);
export const inlineDetect: DetectRunner = async (task) => unwrapDetect(runDetectTask(task));
