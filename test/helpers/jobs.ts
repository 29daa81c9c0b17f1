// Driving the real job queue from end-to-end tests: poll for a condition, run one job and wait for it.
import assert from 'node:assert/strict';
import { setTimeout as sleep } from 'node:timers/promises';
import type { JobQueue } from '../../src/jobs/queue.js';

/** Polls until `fn` returns true (the queue's workers poll every half second). */
export async function until(what: string, fn: () => boolean | Promise<boolean>, timeoutMs = 20_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await fn())) {
    if (Date.now() > deadline) assert.fail(`timed out waiting for ${what}`);
    await sleep(100);
  }
}

/** Sends job `name` through `queue`, waits for it to finish and asserts it completed; returns its output. */
export async function runJobOn(queue: JobQueue, name: string): Promise<Record<string, number>> {
  const id = await queue.send(name, {});
  let job: Awaited<ReturnType<JobQueue['getJob']>>;
  await until(`${name} job`, async () => {
    job = await queue.getJob(name, id);
    return job?.state === 'completed' || job?.state === 'failed';
  });
  assert.equal(job!.state, 'completed', JSON.stringify(job!.output));
  return job!.output as Record<string, number>;
}
