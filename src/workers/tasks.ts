// Every kind of work the worker threads do, behind one entry point (a pool runs one module).
import runDetectTask, { type DetectTask, type DetectTaskResult } from '../anomaly/worker-task.js';
import runForecastTask, { type ForecastTask, type ForecastTaskResult } from '../forecast/worker-task.js';

export type WorkerTask = { kind: 'forecast'; task: ForecastTask } | { kind: 'detect'; task: DetectTask };

export default function runWorkerTask(t: WorkerTask): ForecastTaskResult | DetectTaskResult {
  return t.kind === 'forecast' ? runForecastTask(t.task) : runDetectTask(t.task);
}
