// Forecasting is CPU-bound (tens of ms a series): it runs on worker threads so the event loop
// stays free for ingestion and queries.
import { availableParallelism } from 'node:os';
import { Piscina } from 'piscina';
import runForecastTask, { type ForecastTask, type ForecastTaskResult } from './worker-task.js';

export type ForecastRunner = (task: ForecastTask) => Promise<ForecastTaskResult>;

/** Runs tasks on the calling thread: for tests and one-shot tools. */
export const inlineRunner: ForecastRunner = async (task) => runForecastTask(task);

export interface ForecastPool {
  run: ForecastRunner;
  close(): Promise<void>;
}

/** A pool of `threads` workers (default: cores − 1, at least 1), started lazily on first use. */
export function createForecastPool(threads = Math.max(1, availableParallelism() - 1)): ForecastPool {
  let pool: Piscina | undefined;
  return {
    run(task) {
      pool ??= new Piscina({ filename: new URL('./worker-boot.mjs', import.meta.url).href, minThreads: 0, maxThreads: threads, idleTimeout: 60_000 });
      // The history is copied to the worker (the caller keeps its array); results come back as copies too.
      return pool.run(task) as Promise<ForecastTaskResult>;
    },
    async close() {
      await pool?.destroy();
    },
  };
}
