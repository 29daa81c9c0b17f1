import PgBoss from 'pg-boss';
import type { Logger } from '../core/logger.js';
import type { Sql } from '../store/sql.js';

/** When a sent job may start. */
export interface SendJobOptions {
  /** Seconds from now before a worker may take the job (pg-boss `startAfter`); default at once. */
  startAfterSeconds?: number;
}

/** What a job handler gets besides its data. */
export interface JobContext {
  jobId: string;
  /** 0 on the first attempt. */
  retryCount: number;
  /** Retries allowed after the first attempt: the last attempt has retryCount === retryLimit. */
  retryLimit: number;
  /** Enqueues another job, to run now or `startAfterSeconds` from now. */
  send(name: string, data: object, options?: SendJobOptions): Promise<string>;
  log: Logger;
}

/** A kind of job: its queue name, retry policy, optional cron schedule and handler. */
export interface JobDefinition<T extends object = object> {
  name: string;
  /** Cron expression (UTC); the job is enqueued on this schedule. */
  cron?: string;
  retryLimit: number;
  retryDelaySeconds: number;
  retryBackoff: boolean;
  expireInSeconds: number;
  handler: (data: T, ctx: JobContext) => Promise<unknown>;
}

export interface JobQueueOptions {
  sql: Sql;
  logger: Logger;
  definitions: JobDefinition<any>[];
  /** pg-boss's schema; `pgboss` by default. */
  schema?: string;
  /** Run workers (handlers) in this process. */
  work?: boolean;
  /** Run cron schedules in this process. */
  schedule?: boolean;
  /** Seconds between polls for new jobs (≥ 0.5). */
  pollingIntervalSeconds?: number;
  /** Seconds between cron checks (tests shorten it). */
  cronMonitorIntervalSeconds?: number;
}

export type JobState = 'created' | 'retry' | 'active' | 'completed' | 'cancelled' | 'failed';

/** pg-boss runs over the platform's own executor, so it works on PostgreSQL and on the embedded store alike. */
function bossDb(sql: Sql): PgBoss.Db {
  return {
    async executeSql(text: string, values?: unknown[]) {
      // pg-boss sends its schema scripts (many statements, no parameters) as one text.
      return values && values.length ? sql.query(text, values) : sql.exec(text);
    },
  };
}

/**
 * The durable job queue (pg-boss): queues with retries and backoff, job states, cron schedules.
 * Later capabilities add their {@link JobDefinition}s to the registry.
 */
export class JobQueue {
  private constructor(
    private readonly boss: PgBoss,
    private readonly log: Logger,
  ) {}

  static async start(opts: JobQueueOptions): Promise<JobQueue> {
    const log = opts.logger.child({ component: 'jobs' });
    const boss = new PgBoss({
      db: bossDb(opts.sql),
      schema: opts.schema ?? 'pgboss',
      schedule: opts.schedule ?? true,
      supervise: opts.work ?? true,
      cronMonitorIntervalSeconds: opts.cronMonitorIntervalSeconds ?? 30,
      cronWorkerIntervalSeconds: Math.max(1, Math.min(5, opts.cronMonitorIntervalSeconds ?? 5)),
    });
    boss.on('error', (err) => log.error({ err }, 'job queue error'));
    await boss.start();
    const queue = new JobQueue(boss, log);
    for (const def of opts.definitions) {
      await boss.createQueue(def.name, {
        name: def.name,
        retryLimit: def.retryLimit,
        retryDelay: def.retryDelaySeconds,
        retryBackoff: def.retryBackoff,
        expireInSeconds: def.expireInSeconds,
      });
      if (def.cron && (opts.schedule ?? true)) await boss.schedule(def.name, def.cron, {}, { tz: 'UTC' });
      if (opts.work ?? true) await queue.work(def, opts.pollingIntervalSeconds ?? 2);
    }
    return queue;
  }

  private async work(def: JobDefinition, pollingIntervalSeconds: number): Promise<void> {
    // batchSize 1: what the handler returns is stored as the job's output.
    await this.boss.work<object>(def.name, { pollingIntervalSeconds, batchSize: 1, includeMetadata: true }, async ([job]) => {
      if (!job) return undefined;
      const log = this.log.child({ job: def.name, jobId: job.id });
      const started = Date.now();
      try {
        const result = await def.handler(job.data ?? {}, { jobId: job.id, retryCount: job.retryCount, retryLimit: job.retryLimit, log, send: (name, data, options) => this.send(name, data, options) });
        log.info({ durationMs: Date.now() - started, result }, 'job completed');
        return result;
      } catch (err) {
        log.warn({ err, retryCount: job.retryCount, retryLimit: job.retryLimit }, 'job failed');
        throw err; // pg-boss records the failure and schedules the retry
      }
    });
  }

  /** Enqueues a job, now or `options.startAfterSeconds` from now; returns its id. */
  async send(name: string, data: object = {}, options: SendJobOptions = {}): Promise<string> {
    const after = options.startAfterSeconds;
    const id = after !== undefined && after > 0 ? await this.boss.send(name, data, { startAfter: Math.ceil(after) }) : await this.boss.send(name, data);
    if (!id) throw new Error(`job ${name} was not enqueued`);
    return id;
  }

  async getJob(name: string, id: string): Promise<{ id: string; state: JobState; retryCount: number; output: unknown } | undefined> {
    const job = await this.boss.getJobById(name, id);
    if (!job) return undefined;
    return { id: job.id, state: job.state, retryCount: job.retryCount, output: job.output };
  }

  /** The cron schedules registered in the queue. */
  async schedules(): Promise<{ name: string; cron: string }[]> {
    return (await this.boss.getSchedules()).map((s) => ({ name: s.name, cron: s.cron }));
  }

  async stop(): Promise<void> {
    await this.boss.stop({ graceful: true, wait: true, timeout: 10_000, close: false });
  }
}
