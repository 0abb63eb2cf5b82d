// Runs the ingress on a port: builds its database client, Redis producer and queues,
// listens, and closes gracefully (stop accepting, let requests in flight finish, then
// release the queues, Redis and the database).
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { Config } from '@agent-lifecycle/config';
import { createDb, type Db } from '@agent-lifecycle/db';
import { JobQueues, createRedisConnection } from '@agent-lifecycle/jobs';
import { JOB_TABLE } from '@agent-lifecycle/lifecycle';
import type { Logger } from '@agent-lifecycle/logger';
import type { Express } from 'express';
import type Redis from 'ioredis';
import { createApp, type AppOptions } from './app';

export interface StartIngressOptions {
  config: Config;
  logger: Logger;
  /** A database client to share (tests); otherwise one is made from the config and closed with the ingress. */
  db?: Db;
  /** Interface to listen on; every interface when omitted. */
  host?: string;
  app?: AppOptions;
  /** How long close() lets requests in flight finish before cutting them. */
  shutdownGraceMs?: number;
}

export interface Ingress {
  url: string;
  port: number;
  app: Express;
  queues: JobQueues;
  close(): Promise<void>;
}

const REDIS_READY_TIMEOUT_MS = 5_000;

/** Waits for the producer connection (it queues nothing while offline); a slow Redis is logged, not fatal. */
async function redisReady(redis: Redis, logger: Logger): Promise<void> {
  if (redis.status === 'ready') return;
  await new Promise<void>((resolve) => {
    const timer = setTimeout(() => {
      redis.off('ready', onReady);
      logger.warn({ timeoutMs: REDIS_READY_TIMEOUT_MS }, 'Redis is not ready; starting anyway, /readyz reports it');
      resolve();
    }, REDIS_READY_TIMEOUT_MS);
    const onReady = () => {
      clearTimeout(timer);
      resolve();
    };
    redis.once('ready', onReady);
  });
}

function listen(server: Server, port: number, host: string | undefined): Promise<number> {
  return new Promise((resolve, reject) => {
    server.once('error', reject);
    server.listen(port, host, () => {
      server.off('error', reject);
      resolve((server.address() as AddressInfo).port);
    });
  });
}

export async function startIngress(options: StartIngressOptions): Promise<Ingress> {
  const { config, logger } = options;
  const db = options.db ?? createDb(config.databaseUrl);
  const redis = createRedisConnection(config.redisUrl, 'producer');
  redis.on('error', (error) => logger.warn({ err: error.message }, 'Redis connection error'));
  await redisReady(redis, logger);
  const queues = new JobQueues({ connection: redis, prefix: config.queuePrefix, jobs: JOB_TABLE });
  // The connection's own errors are logged above; the queues repeat them, once each.
  for (const queue of Object.values(queues.queues)) queue.on('error', (error) => logger.debug({ queue: queue.name, err: error.message }, 'queue error'));
  const app = createApp({ config, db, queues, redis, logger }, options.app);
  const server = createServer(app);
  const port = await listen(server, config.port, options.host);
  const url = `http://${options.host && options.host !== '0.0.0.0' && options.host !== '::' ? options.host : '127.0.0.1'}:${port}`;
  logger.info({ url }, 'ingress listening');

  let closing: Promise<void> | undefined;
  async function shutdown(): Promise<void> {
    const graceMs = options.shutdownGraceMs ?? 10_000;
    await new Promise<void>((resolve) => {
      const cut = setTimeout(() => server.closeAllConnections(), graceMs);
      server.close(() => {
        clearTimeout(cut);
        resolve();
      });
      server.closeIdleConnections();
    });
    await queues.close();
    await redis.quit().catch(() => redis.disconnect());
    if (!options.db) await db.$disconnect();
    logger.info({ url }, 'ingress stopped');
  }
  return {
    url,
    port,
    app,
    queues,
    close: () => (closing ??= shutdown()),
  };
}
