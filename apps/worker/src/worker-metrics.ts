// A worker process's Prometheus metrics (names per docs/operations.md's contract), in a
// registry of its own: job durations and outcomes, cloud requests and the Hetzner budget,
// operations ending, and gauges read at scrape time from BullMQ and PostgreSQL.
import { countAgentsDestroying, countStuckOperations, type Db } from '@agent-lifecycle/db';
import { QUEUE_NAMES, type JobQueues } from '@agent-lifecycle/jobs';
import type { EngineObserver } from '@agent-lifecycle/lifecycle';
import type { Logger } from '@agent-lifecycle/logger';
import { Counter, Gauge, Histogram, Registry, collectDefaultMetrics } from 'prom-client';

/** One HTTP request an adapter sent (the adapters' `observe` hook). */
export interface CloudRequestObservation {
  cloud: 'hetzner' | 'tailscale' | 'github';
  /** The endpoint's template, e.g. `POST /servers/{id}/actions/shutdown`. */
  endpoint: string;
  status: number | 'network_error';
  durationMs: number;
}

export type JobOutcome = 'completed' | 'failed' | 'retried' | 'delayed';

const QUEUE_STATES = ['waiting', 'active', 'delayed', 'prioritized', 'failed', 'completed'] as const;
const SCRAPE_TIMEOUT_MS = 1_000;

/** Gives up on a scrape-time read that does not answer in time (a scrape must not hang). */
async function within<T>(ms: number, read: Promise<T>): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  try {
    return await Promise.race([read, new Promise<never>((_resolve, reject) => (timer = setTimeout(() => reject(new Error('timed out')), ms)))]);
  } finally {
    clearTimeout(timer);
  }
}

export interface WorkerMetricsOptions {
  db: Db;
  queues: JobQueues;
  logger: Logger;
  /** Operations unfinished this long after acceptance count as stuck. */
  stuckAfterMs: number;
  /** Also the process's own metrics (memory, CPU, event loop); off when several apps share a process. */
  processMetrics?: boolean;
}

export function createWorkerMetrics({ db, queues, logger, stuckAfterMs, processMetrics = true }: WorkerMetricsOptions) {
  const registry = new Registry();
  if (processMetrics) collectDefaultMetrics({ register: registry });
  const registers = [registry];

  const jobDuration = new Histogram({
    name: 'agent_lifecycle_job_duration_seconds',
    help: 'Time a job held a worker slot, by job name and outcome (completed, failed, retried, delayed: stepped aside).',
    labelNames: ['job', 'outcome'] as const,
    buckets: [0.01, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60],
    registers,
  });
  const jobRetries = new Counter({ name: 'agent_lifecycle_job_retries_total', help: 'Attempts that failed and will be retried, by job and error code.', labelNames: ['job', 'code'] as const, registers });
  const jobFailures = new Counter({ name: 'agent_lifecycle_job_failures_total', help: 'Jobs that failed for good, by job and error code.', labelNames: ['job', 'code'] as const, registers });
  const cloudRequests = new Counter({
    name: 'agent_lifecycle_cloud_requests_total',
    help: 'HTTP requests to the clouds, by cloud, endpoint template and status (or network_error).',
    labelNames: ['cloud', 'endpoint', 'status'] as const,
    registers,
  });
  const rateLimited = new Counter({ name: 'agent_lifecycle_hetzner_rate_limited_total', help: 'Hetzner answers 429 (rate limit exceeded).', registers });
  const budgetWait = new Counter({ name: 'agent_lifecycle_hetzner_budget_wait_seconds_total', help: 'Time requests spent waiting for the shared Hetzner budget.', registers });
  const operationsFinished = new Counter({
    name: 'agent_lifecycle_operations_finished_total',
    help: 'Operations that reached a terminal status, by kind and outcome (succeeded, failed, skipped, superseded).',
    labelNames: ['kind', 'outcome'] as const,
    registers,
  });

  new Gauge({
    name: 'agent_lifecycle_queue_jobs',
    help: 'Jobs in each BullMQ queue, by state, read at scrape time.',
    labelNames: ['queue', 'state'] as const,
    registers,
    async collect() {
      this.reset();
      await Promise.all(
        QUEUE_NAMES.map(async (name) => {
          try {
            const counts = await within(SCRAPE_TIMEOUT_MS, queues.queues[name].getJobCounts(...QUEUE_STATES));
            for (const state of QUEUE_STATES) this.set({ queue: name, state }, counts[state] ?? 0);
          } catch (error) {
            logger.warn({ queue: name, err: error }, 'could not read queue depth for metrics');
          }
        }),
      );
    },
  });
  new Gauge({
    name: 'agent_lifecycle_operations_stuck',
    help: `Operations not finished ${Math.round(stuckAfterMs / 60_000)} minutes after they were accepted, by kind.`,
    labelNames: ['kind'] as const,
    registers,
    async collect() {
      try {
        const counts = await within(SCRAPE_TIMEOUT_MS, countStuckOperations(db, new Date(Date.now() - stuckAfterMs)));
        this.reset();
        for (const { kind, count } of counts) this.set({ kind }, count);
      } catch (error) {
        logger.warn({ err: error }, 'could not count stuck operations for metrics');
      }
    },
  });
  new Gauge({
    name: 'agent_lifecycle_agents_destroying',
    help: 'Agents being destroyed (a destroy that keeps failing leaves them here, their servers still billing).',
    registers,
    async collect() {
      try {
        this.set(await within(SCRAPE_TIMEOUT_MS, countAgentsDestroying(db)));
      } catch (error) {
        logger.warn({ err: error }, 'could not count destroying agents for metrics');
      }
    },
  });

  const engine: EngineObserver = {
    operationEnded(kind, outcome) {
      operationsFinished.inc({ kind, outcome });
    },
  };

  return {
    registry,
    engine,
    /** A job left its slot: how long it held it and how it went; `code` for failures and retries. */
    jobEnded(job: string, outcome: JobOutcome, seconds: number, code?: string): void {
      jobDuration.observe({ job, outcome }, seconds);
      if (outcome === 'retried') jobRetries.inc({ job, code: code ?? 'unknown' });
      if (outcome === 'failed') jobFailures.inc({ job, code: code ?? 'unknown' });
    },
    /** The adapters' `observe` hook: one call per HTTP request. */
    observeCloudRequest({ cloud, endpoint, status }: CloudRequestObservation): void {
      cloudRequests.inc({ cloud, endpoint, status: String(status) });
      if (cloud === 'hetzner' && status === 429) rateLimited.inc();
    },
    /** The rate budget's `onWait` hook: time one request waited for the shared budget. */
    observeBudgetWait(ms: number): void {
      if (ms > 0) budgetWait.inc(ms / 1000);
    },
  };
}

export type WorkerMetrics = ReturnType<typeof createWorkerMetrics>;
