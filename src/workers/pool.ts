// Forecasting and anomaly detection are CPU-bound (tens of ms a forecast, ~1 s for 100k points of
// detection): they run on worker threads so the event loop stays free for ingestion and queries.
import { availableParallelism } from 'node:os';
import { Piscina } from 'piscina';
import type { DetectFunc } from '../anomaly/detect-func.js';
import { unwrapDetect, type DetectTaskResult } from '../anomaly/worker-task.js';
import type { ForecastFunc } from '../forecast/forecast-func.js';
import type { ForecastTaskResult } from '../forecast/worker-task.js';
import type { WorkerTask } from './tasks.js';

/** The domains' function types, implemented on worker threads. */
export interface WorkerPool {
  forecast: ForecastFunc;
  detect: DetectFunc;
  close(): Promise<void>;
}

/** A pool of `threads` workers (default: cores − 1, at least 1), started lazily on first use. */
export function createWorkerPool(threads = Math.max(1, availableParallelism() - 1)): WorkerPool {
  let pool: Piscina | undefined;
  // Inputs are copied to the worker (the caller keeps its arrays); results come back as copies too.
  const run = (t: WorkerTask): Promise<unknown> => {
    // Compiled (dist/): the worker loads tasks.js; from the sources (tsx), boot.mjs registers tsx first.
    pool ??= new Piscina({ filename: new URL(import.meta.url.endsWith('.ts') ? './boot.mjs' : './tasks.js', import.meta.url).href, minThreads: 0, maxThreads: threads, idleTimeout: 60_000 });
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
