// Composition of a worker process: waits for Redis and PostgreSQL, builds the adapters and
// the engine on top of them, one BullMQ worker per served queue (concurrency and retries from
// the job table), the cloud watcher with the Hetzner queue, the maintenance schedules, and the
// metrics and health endpoints; closes them all gracefully.
import { Worker } from 'bullmq';
import type Redis from 'ioredis';
import type { Config } from '@agent-lifecycle/config';
import { createDb, pingDatabase, type Db } from '@agent-lifecycle/db';
import { createGithubWorkflows } from '@agent-lifecycle/github';
import { createHetznerCloud, createRateBudget, type RateBudget } from '@agent-lifecycle/hetzner';
import { HETZNER_QUEUE, JobQueues, QUEUE_NAMES, cappedBackoff, createLeaderLease, createRedisConnection, type QueueName } from '@agent-lifecycle/jobs';
import {
  JOB_TABLE,
  QUEUE_CONCURRENCY,
  createCloudWatcher,
  createEngine,
  systemClock,
  type Clock,
  type Cloud,
  type CloudWatcher,
  type Engine,
  type EngineSettings,
  type Tailnet,
  type Workflows,
} from '@agent-lifecycle/lifecycle';
import type { Logger } from '@agent-lifecycle/logger';
import { createTailscaleTailnet } from '@agent-lifecycle/tailscale';
import { startHealthServer, type HealthServer } from './health-server';
import { waitForDependencies } from './wait-for-dependencies';
import { createBudgetLine } from './budget-line';
import { createProcessor, type Processor } from './processor';
import { createWorkerMetrics, type WorkerMetrics } from './worker-metrics';

/**
 * BullMQ's stall detection, matched to the agent lease: a job whose worker died is moved back
 * to waiting within about lockDuration + stalledInterval (10 to 15 s), when its agent lease
 * (leaseMs) has lapsed too. A job may stall a few times (a worker killed again and again)
 * before BullMQ fails it; the sweeper puts such an operation back in line.
 */
export const STALL_SETTINGS = { lockDuration: 10_000, stalledInterval: 5_000, maxStalledCount: 3 } as const;

export interface WorkerProcessOptions {
  config: Config;
  logger: Logger;
  queues?: QueueName[];
  db?: Db;
  /** Overrides for tests: adapters, timings, retry backoff, stall detection. */
  adapters?: { cloud?: Cloud; tailnet?: Tailnet; workflows?: Workflows };
  settings?: Partial<EngineSettings>;
  backoffScale?: number;
  stall?: Partial<typeof STALL_SETTINGS>;
  /** Worker slots per queue instead of the job table's. */
  concurrency?: Partial<Record<QueueName, number>>;
  /** Runs the maintenance jobs this often instead of the job table's schedule. */
  sweepEveryMs?: number;
  reconcileEveryMs?: number;
  clock?: Clock;
  /** Serve /metrics, /healthz and /readyz here (0: any free port); config.workerMetricsPort when absent. */
  metricsPort?: number;
  /** The process's own metrics (memory, CPU) in /metrics; off when several apps share a process. */
  processMetrics?: boolean;
}

export interface WorkerProcess {
  engine: Engine;
  jobQueues: JobQueues;
  workers: Worker[];
  db: Db;
  metrics: WorkerMetrics;
  /** The cloud watcher, when this process serves the Hetzner queue. */
  watcher: CloudWatcher | undefined;
  /** The metrics and health server, when one was asked for. */
  health: HealthServer | undefined;
  /** Waits for running jobs to finish; `force` abandons them (they are retried elsewhere). Closing twice closes once. */
  close(options?: { force?: boolean }): Promise<void>;
}

export function defaultEngineSettings(config: Config): EngineSettings {
  return {
    pollScale: 1,
    stopGraceMs: config.stopGraceSeconds * 1000,
    callbackUrl: `${config.publicUrl}/api/webhooks/github`,
    leaseMs: 10_000,
    turnDelayMs: 2_000,
    provisioningTimeoutMs: 30 * 60_000,
    staleOperationMs: 15_000,
    actionTimeoutMs: 10 * 60_000,
    maxParkMs: 60_000,
    stuckAfterMs: 15 * 60_000,
    destroyRetryMs: 60_000,
    destroyRetryMaxMs: 60 * 60_000,
  };
}

export async function startWorkers(options: WorkerProcessOptions): Promise<WorkerProcess> {
  const { config, logger } = options;
  const queues = options.queues ?? [...QUEUE_NAMES];
  const db = options.db ?? createDb(config.databaseUrl);
  const settings = { ...defaultEngineSettings(config), ...options.settings };
  const stall = { ...STALL_SETTINGS, ...options.stall };
  const connections: Redis[] = [];
  const connect = (role: 'worker' | 'producer', purpose: string): Redis => {
    const connection = createRedisConnection(config.redisUrl, role);
    // Without a listener ioredis prints its errors raw; here they join the structured log.
    connection.on('error', (error: Error) => logger.warn({ connection: purpose, err: error.message }, 'Redis connection error'));
    connection.on('reconnecting', (delayMs: number) => logger.warn({ connection: purpose, delayMs }, 'Redis connection lost; reconnecting'));
    connections.push(connection);
    return connection;
  };
  const producer = connect('producer', 'producer');
  const shared = connect('worker', 'budget and leases');
  const jobQueues = new JobQueues({
    connection: producer,
    prefix: config.queuePrefix,
    jobs: JOB_TABLE,
    backoffScale: options.backoffScale,
    onError: (queue, error) => logger.warn({ queue, err: error.message }, 'queue error'),
  });
  const metrics = createWorkerMetrics({ db, queues: jobQueues, logger, stuckAfterMs: settings.stuckAfterMs, processMetrics: options.processMetrics });
  let started = false;
  const metricsPort = options.metricsPort ?? config.workerMetricsPort;
  const health =
    metricsPort === undefined
      ? undefined
      : await startHealthServer({
          port: metricsPort,
          registry: metrics.registry,
          started: () => started,
          checks: [
            { name: 'redis', check: () => producer.ping() },
            { name: 'postgres', check: () => pingDatabase(db) },
          ],
        });

  await waitForDependencies({ redis: producer, db, logger });

  const budget = createBudgetLine(createRateBudget({ redis: shared, key: `${config.queuePrefix}:hetzner-budget`, limitPerHour: config.hetzner.rateLimitPerHour }), metrics.observeBudgetWait);
  const hetzner = (lineBudget: RateBudget) =>
    options.adapters?.cloud ??
    createHetznerCloud({ token: config.hetzner.token, endpoint: config.hetzner.endpoint, budget: lineBudget, logger: logger.child({ adapter: 'hetzner' }), observe: metrics.observeCloudRequest });
  const cloud = hetzner(budget.forActions);
  const tailnet =
    options.adapters?.tailnet ??
    createTailscaleTailnet({ apiUrl: config.tailscale.apiUrl, tailnet: config.tailscale.tailnet, apiKey: config.tailscale.apiKey, oauth: config.tailscale.oauth, observe: metrics.observeCloudRequest });
  const workflows =
    options.adapters?.workflows ??
    createGithubWorkflows({ apiUrl: config.github.apiUrl, token: config.github.token, repo: config.github.repo, workflow: config.github.workflow, observe: metrics.observeCloudRequest });
  const clock = options.clock ?? systemClock;
  const engine = createEngine({ db, queue: jobQueues, cloud, tailnet, workflows, clock, logger, settings, observer: metrics.engine });

  const workers: Worker[] = [];
  const processors: Processor[] = [];
  for (const queue of queues) {
    const processor = createProcessor({ engine, pauseQueue: (ms) => worker.rateLimit(ms), onJobEnded: metrics.jobEnded });
    processors.push(processor);
    const worker: Worker = new Worker(queue, processor, {
      connection: connect('worker', `${queue} worker`),
      prefix: config.queuePrefix,
      concurrency: options.concurrency?.[queue] ?? QUEUE_CONCURRENCY[queue],
      ...stall,
      settings: { backoffStrategy: cappedBackoff(JOB_TABLE) },
      autorun: true,
    });
    worker.on('failed', (job, error) => logger.warn({ queue, jobId: job?.id, job: job?.name, err: error.message }, 'job failed'));
    worker.on('error', (error) => {
      const renewal = /^could not renew lock for job (.+)$/.exec(error.message);
      if (!renewal?.[1]) return logger.error({ queue, err: error }, 'worker error');
      // Usually the job stepped aside or ended while its lock was being renewed: only a job still active lost its lock.
      void jobQueues.queues[queue]
        .getJob(renewal[1])
        .then((job) => job?.getState())
        .then(
          (state) => (state === 'active' ? logger.warn({ queue, jobId: renewal[1] }, 'a running job lost its lock; BullMQ will hand it to another worker') : undefined),
          (lookup: unknown) => logger.warn({ queue, jobId: renewal[1], err: lookup }, 'could not renew the lock of a job'),
        );
    });
    workers.push(worker);
  }

  // Only processes serving the Hetzner queue poll the cloud; one of them at a time (the lease).
  let watcherDb: Db | undefined;
  const watcher = queues.includes(HETZNER_QUEUE)
    ? createCloudWatcher({
        // A client of its own: the watcher's few queries settle many operations, so they do not queue behind the jobs'.
        db: (watcherDb = createDb(config.databaseUrl, { poolSize: 2 })),
        cloud: hetzner(budget.forWatcher),
        wake: (name, operationId) => jobQueues.wake(name, operationId),
        lease: createLeaderLease({ redis: shared, key: `${config.queuePrefix}:cloud-watcher`, ttlMs: 10_000 }),
        clock,
        logger,
        settings: { pollScale: settings.pollScale, budgetPerSecond: config.hetzner.rateLimitPerHour / 3600, pollShare: 0.5 },
      })
    : undefined;
  watcher?.start();

  const everyMs: Record<string, number | undefined> = { 'operations.sweep': options.sweepEveryMs, 'cloud.reconcile': options.reconcileEveryMs };
  for (const [name, definition] of Object.entries(JOB_TABLE)) {
    if (definition.everyMs === undefined || !queues.includes(definition.queue)) continue;
    await jobQueues.queues[definition.queue].upsertJobScheduler(name, { every: everyMs[name] ?? definition.everyMs }, { name, data: {} });
  }
  started = true;
  logger.info({ queues, prefix: config.queuePrefix, metricsPort: health?.port }, 'workers started');
  let closing: Promise<void> | undefined;

  return {
    engine,
    jobQueues,
    workers,
    db,
    metrics,
    watcher,
    health,
    close({ force = false } = {}) {
      closing ??= (async () => {
        started = false;
        await watcher?.stop();
        await Promise.all(workers.map((worker) => worker.close(force)));
        // Even abandoned jobs get to end their step before the connections they use go away.
        await Promise.race([Promise.all(processors.map((processor) => processor.settled())), new Promise((resolve) => setTimeout(resolve, 10_000).unref())]);
        await jobQueues.close();
        await health?.close();
        // BullMQ leaves connections it was given open.
        for (const connection of connections) connection.disconnect();
        await watcherDb?.$disconnect();
        if (!options.db) await db.$disconnect();
      })();
      return closing;
    },
  };
}
