import type { FastifyInstance } from 'fastify';
import { buildApp } from './app.js';
import { compose } from './compose.js';
import type { Config } from './config.js';
import type { Logger } from './core/logger.js';
import type { JobQueue } from './jobs/queue.js';
import type { Sql } from './store/sql.js';

export interface RunningServer {
  app: FastifyInstance;
  url: string;
  sql: Sql;
  jobs?: JobQueue;
  logger: Logger;
  close(): Promise<void>;
}

/** Starts everything `intentvision serve` runs: composes the deps (src/compose.ts) and listens. */
export async function startServer(config: Config, print: (line: string) => void = console.log): Promise<RunningServer> {
  const composed = await compose(config, print);
  const { deps } = composed;
  const log = deps.logger.child({ component: 'server' });
  let app: FastifyInstance | undefined;
  // The HTTP server stops first (no new requests), then what it ran on, in reverse order of opening.
  const close = async () => {
    await app?.close().catch((err: unknown) => log.error({ err }, 'error during shutdown'));
    await composed.close();
  };
  try {
    app = await buildApp(deps);
    const address = await app.listen({ port: config.port, host: config.host });
    const url = address.replace('0.0.0.0', 'localhost').replace('[::]', 'localhost');
    log.info({ url, store: deps.sql.driver, redis: Boolean(config.redisUrl), jobs: config.jobsEnabled }, 'listening');
    return { app, url, sql: deps.sql, jobs: deps.jobs, logger: deps.logger, close };
  } catch (err) {
    await close();
    throw err;
  }
}
