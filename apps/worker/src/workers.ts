// Composition of a worker process: builds the adapters from the configuration, the engine
// on top of them, and one BullMQ worker per served queue; closes them all gracefully.
import { Worker } from 'bullmq';
import type { Config } from '@agent-lifecycle/config';
import { createDb, type Db } from '@agent-lifecycle/db';
import { createGithubWorkflows } from '@agent-lifecycle/github';
import { createHetznerCloud, createRateBudget } from '@agent-lifecycle/hetzner';
import { JobQueues, MAINTENANCE_QUEUE, QUEUE_NAMES, createRedisConnection, type QueueName } from '@agent-lifecycle/jobs';
import { createEngine, systemClock, type Clock, type Cloud, type Engine, type EngineSettings, type Tailnet, type Workflows } from '@agent-lifecycle/lifecycle';
import type { Logger } from '@agent-lifecycle/logger';
import { createTailscaleTailnet } from '@agent-lifecycle/tailscale';
import { createProcessor } from './processor';

const CONCURRENCY: Record<QueueName, number> = { hetzner: 20, tailscale: 10, github: 5, maintenance: 1 };

export interface WorkerProcessOptions {
  config: Config;
  logger: Logger;
  queues?: QueueName[];
  db?: Db;
  /** Overrides for tests: adapters, timings, retry backoff. */
  adapters?: { cloud?: Cloud; tailnet?: Tailnet; workflows?: Workflows };
  settings?: Partial<EngineSettings>;
  backoffScale?: number;
  sweepEveryMs?: number;
  reconcileEveryMs?: number;
  clock?: Clock;
}

export interface WorkerProcess {
  engine: Engine;
  jobQueues: JobQueues;
  workers: Worker[];
  db: Db;
  /** Waits for running jobs to finish; `force` abandons them (they are retried elsewhere). */
  close(options?: { force?: boolean }): Promise<void>;
}

export function defaultEngineSettings(config: Config): EngineSettings {
  return {
    pollScale: 1,
    stopGraceMs: config.stopGraceSeconds * 1000,
    callbackUrl: `${config.publicUrl}/api/webhooks/github`,
    leaseMs: 60_000,
    turnDelayMs: 2_000,
    provisioningTimeoutMs: 30 * 60_000,
    staleOperationMs: 30_000,
  };
}

export async function startWorkers(options: WorkerProcessOptions): Promise<WorkerProcess> {
  const { config, logger } = options;
  const queues = options.queues ?? [...QUEUE_NAMES];
  const db = options.db ?? createDb(config.databaseUrl);
  const producer = createRedisConnection(config.redisUrl, 'producer');
  const budgetRedis = createRedisConnection(config.redisUrl, 'worker');
  const jobQueues = new JobQueues({ connection: producer, prefix: config.queuePrefix, backoffScale: options.backoffScale });
  const cloud =
    options.adapters?.cloud ??
    createHetznerCloud({
      token: config.hetzner.token,
      endpoint: config.hetzner.endpoint,
      budget: createRateBudget({ redis: budgetRedis, key: `${config.queuePrefix}:hetzner-budget`, limitPerHour: config.hetzner.rateLimitPerHour }),
      logger: logger.child({ adapter: 'hetzner' }),
    });
  const tailnet =
    options.adapters?.tailnet ??
    createTailscaleTailnet({ apiUrl: config.tailscale.apiUrl, tailnet: config.tailscale.tailnet, apiKey: config.tailscale.apiKey, oauth: config.tailscale.oauth });
  const workflows =
    options.adapters?.workflows ??
    createGithubWorkflows({ apiUrl: config.github.apiUrl, token: config.github.token, repo: config.github.repo, workflow: config.github.workflow });
  const engine = createEngine({
    db,
    queue: jobQueues,
    cloud,
    tailnet,
    workflows,
    clock: options.clock ?? systemClock,
    logger,
    settings: { ...defaultEngineSettings(config), ...options.settings },
  });

  const workers: Worker[] = [];
  // BullMQ leaves connections it was given open; these are closed with the workers.
  const connections = [producer, budgetRedis];
  for (const queue of queues) {
    const connection = createRedisConnection(config.redisUrl, 'worker');
    connections.push(connection);
    const worker: Worker = new Worker(queue, createProcessor(engine, (ms) => worker.rateLimit(ms)), {
      connection,
      prefix: config.queuePrefix,
      concurrency: CONCURRENCY[queue],
      autorun: true,
    });
    worker.on('failed', (job, error) => logger.warn({ queue, jobId: job?.id, job: job?.name, err: error.message }, 'job failed'));
    worker.on('error', (error) => logger.error({ queue, err: error }, 'worker error'));
    workers.push(worker);
  }
  if (queues.includes(MAINTENANCE_QUEUE)) {
    const maintenance = jobQueues.queues.maintenance;
    await maintenance.upsertJobScheduler('operations.sweep', { every: options.sweepEveryMs ?? 30_000 }, { name: 'operations.sweep', data: {} });
    await maintenance.upsertJobScheduler('cloud.reconcile', { every: options.reconcileEveryMs ?? 5 * 60_000 }, { name: 'cloud.reconcile', data: {} });
  }
  logger.info({ queues, prefix: config.queuePrefix }, 'workers started');

  return {
    engine,
    jobQueues,
    workers,
    db,
    async close({ force = false } = {}) {
      await Promise.all(workers.map((worker) => worker.close(force)));
      await jobQueues.close();
      for (const connection of connections) connection.disconnect();
      if (!options.db) await db.$disconnect();
    },
  };
}
