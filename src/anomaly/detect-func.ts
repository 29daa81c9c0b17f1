// The anomaly domain's contract with whatever runs the ensemble: detection calls a DetectFunc and
// does not know whether it runs on this thread or on a worker pool. src/workers implements it on
// threads; the composition root (server.ts) passes that in.
import runDetectTask, { unwrapDetect, type DetectOutcome, type DetectTask } from './worker-task.js';

/** Runs the ensemble over one series; rejects with a typed AnomalyError (rebuilt across threads). */
export type DetectFunc = (task: DetectTask) => Promise<DetectOutcome>;

/** {@link DetectFunc} on the calling thread: tests, one-shot tools and FORECAST_WORKERS=0. */
export const detectOnThisThread: DetectFunc = async (task) => unwrapDetect(runDetectTask(task));
