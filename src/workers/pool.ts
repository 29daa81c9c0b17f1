// Forecasting and anomaly detection are CPU-bound (tens of ms a forecast, ~1 s for 100k points of
// detection): they run on worker threads so the event loop stays free for ingestion and queries.
import { availableParallelism } from 'node:os';
import { Piscina } from 'piscina';
import { unwrapDetect, type DetectOutcome, type DetectTask, type DetectTaskResult } from '../anomaly/worker-task.js';
import type { ForecastTask, ForecastTaskResult } from '../forecast/worker-task.js';
import type { WorkerTask } from './tasks.js';

export type ForecastRunner = (task: ForecastTask) => Promise<ForecastTaskResult>;
export type DetectRunner = (task: DetectTask) => Promise<DetectOutcome>;

export interface WorkerPool {
  forecast: ForecastRunner;
  detect: DetectRunner;
  close(): Promise<void>;
}

/** A pool of `threads` workers (default: cores − 1, at least 1), started lazily on first use. */
export function createWorkerPool(threads = Math.max(1, availableParallelism() - 1)): WorkerPool {
  let pool: Piscina | undefined;
  // Inputs are copied to the worker (the caller keeps its arrays); results come back as copies too.
  const run = (t: WorkerTask): Promise<unknown> => {
    pool ??= new Piscina({ filename: new URL('./boot.mjs', import.meta.url).href, minThreads: 0, maxThreads: threads, idleTimeout: 60_000 });
    return pool.run(t);
  };
  return {
    forecast: (task) => run({ kind: 'forecast', task }) as Promise<ForecastTaskResult>,
    detect: async (task) => unwrapDetect((await run({ kind: 'detect', task })) as DetectTaskResult),
    async close() {
      await pool?.destroy();
    },
  };
}
