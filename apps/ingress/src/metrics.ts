// The ingress's Prometheus metrics, in a registry of its own (several apps can live in
// one process): request latency by route template, operations accepted, webhook
// verification failures and outcomes, and queue depths read from BullMQ on each scrape.
import { QUEUE_NAMES, type JobQueues } from '@agent-lifecycle/jobs';
import type { Logger } from '@agent-lifecycle/logger';
import { Counter, Gauge, Histogram, Registry, collectDefaultMetrics } from 'prom-client';

const QUEUE_STATES = ['waiting', 'active', 'delayed', 'prioritized', 'failed', 'completed'] as const;
const SCRAPE_TIMEOUT_MS = 1_000;

export type IngressMetrics = ReturnType<typeof createMetrics>;

export function createMetrics({ queues, logger, processMetrics = false }: { queues: JobQueues; logger: Logger; processMetrics?: boolean }) {
  const registry = new Registry();
  if (processMetrics) collectDefaultMetrics({ register: registry });

  const requestDuration = new Histogram({
    name: 'http_request_duration_seconds',
    help: 'Time to answer an HTTP request, by method, route template and status.',
    labelNames: ['method', 'route', 'status'] as const,
    buckets: [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5],
    registers: [registry],
  });
  const operationsCreated = new Counter({
    name: 'agent_lifecycle_operations_created_total',
    help: 'Operations the ingress recorded and enqueued, by kind and source.',
    labelNames: ['kind', 'source'] as const,
    registers: [registry],
  });
  const webhookVerificationFailures = new Counter({
    name: 'agent_lifecycle_webhook_verification_failures_total',
    help: 'Webhook deliveries refused for a missing, wrong or expired signature, by provider.',
    labelNames: ['provider'] as const,
    registers: [registry],
  });
  const webhookEvents = new Counter({
    name: 'agent_lifecycle_webhook_events_total',
    help: 'Verified webhook deliveries, by provider and outcome (applied, duplicate, stale, ...).',
    labelNames: ['provider', 'outcome'] as const,
    registers: [registry],
  });
  new Gauge({
    name: 'agent_lifecycle_queue_jobs',
    help: 'Jobs in each BullMQ queue, by state, read at scrape time.',
    labelNames: ['queue', 'state'] as const,
    registers: [registry],
    async collect() {
      this.reset();
      await Promise.all(
        QUEUE_NAMES.map(async (name) => {
          let timer: NodeJS.Timeout | undefined;
          try {
            const counts = await Promise.race([
              queues.queues[name].getJobCounts(...QUEUE_STATES),
              new Promise<never>((_resolve, reject) => {
                timer = setTimeout(() => reject(new Error('timed out')), SCRAPE_TIMEOUT_MS);
              }),
            ]);
            for (const state of QUEUE_STATES) this.set({ queue: name, state }, counts[state] ?? 0);
          } catch (error) {
            // A scrape must not fail because Redis is away; the gauge just lacks this queue.
            logger.warn({ queue: name, err: error }, 'could not read queue depth for metrics');
          } finally {
            clearTimeout(timer);
          }
        }),
      );
    },
  });

  return {
    registry,
    observeRequest({ method, route, status, seconds }: { method: string; route: string; status: number; seconds: number }): void {
      requestDuration.observe({ method, route, status: String(status) }, seconds);
    },
    operationsCreated(operations: { kind: string; source: string }[]): void {
      for (const operation of operations) operationsCreated.inc({ kind: operation.kind, source: operation.source });
    },
    webhookVerificationFailed(provider: 'stripe' | 'github'): void {
      webhookVerificationFailures.inc({ provider });
    },
    webhookEvent(provider: 'stripe' | 'github', outcome: string): void {
      webhookEvents.inc({ provider, outcome });
    },
  };
}
