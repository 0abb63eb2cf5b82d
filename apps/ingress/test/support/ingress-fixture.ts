// An ingress on a real port for tests: its own database and queue prefix on the real
// Redis and PostgreSQL, silent logs, and helpers to read what it enqueued and wrote.
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { Config } from '@agent-lifecycle/config';
import { createDb, type Db } from '@agent-lifecycle/db';
import { QUEUE_NAMES, type JobQueues } from '@agent-lifecycle/jobs';
import { createLogger, type Logger } from '@agent-lifecycle/logger';
import { createTestDatabase, testConfig, type TestDatabase } from '@agent-lifecycle/testing';
import type { Express } from 'express';
import { startIngress, type AppOptions, type Ingress } from '../../src';

export const silentLogger: Logger = createLogger('ingress-test', { level: 'silent' });

export interface TestIngress {
  url: string;
  port: number;
  db: Db;
  config: Config;
  queues: JobQueues;
  ingress: Ingress;
  /** Statements the ingress sent to PostgreSQL so far (with `countRoundTrips`). */
  roundTrips(): string[];
  close(): Promise<void>;
}

export interface TestIngressOptions {
  /** Environment overrides for testConfig (e.g. BULL_BOARD_READONLY). */
  env?: Record<string, string>;
  app?: AppOptions;
  /** Share a database with another ingress; otherwise the fixture makes and drops one. */
  database?: TestDatabase;
  /** Give the ingress a database client of its own that records every statement it sends. */
  countRoundTrips?: boolean;
}

export async function startTestIngress(options: TestIngressOptions = {}): Promise<TestIngress> {
  const database = options.database ?? (await createTestDatabase());
  const config = testConfig({ DATABASE_URL: database.url, PORT: '0', ...options.env });
  const statements: string[] = [];
  const counted = options.countRoundTrips ? createDb(database.url, { poolSize: 5, onRoundTrip: (sql) => statements.push(sql) }) : undefined;
  const ingress = await startIngress({ config, logger: silentLogger, db: counted ?? database.db, host: '127.0.0.1', app: options.app, shutdownGraceMs: 1_000 });
  return {
    url: ingress.url,
    port: ingress.port,
    db: database.db,
    config,
    queues: ingress.queues,
    ingress,
    roundTrips: () => [...statements],
    async close() {
      await ingress.close();
      await counted?.$disconnect();
      if (!options.database) await database.drop();
    },
  };
}

/** Every job in every queue of the catalog, whatever its state. */
export async function totalJobs(queues: JobQueues): Promise<number> {
  let total = 0;
  for (const name of QUEUE_NAMES) {
    const counts = await queues.queues[name].getJobCounts('waiting', 'active', 'delayed', 'prioritized', 'completed', 'failed', 'waiting-children');
    total += Object.values(counts).reduce((sum, count) => sum + count, 0);
  }
  return total;
}

/** The names and data of the jobs waiting in the catalog's queues. */
export async function waitingJobs(queues: JobQueues): Promise<{ name: string; operationId: string }[]> {
  const jobs = [];
  for (const name of QUEUE_NAMES) {
    for (const job of await queues.queues[name].getJobs(['waiting', 'delayed', 'prioritized'])) {
      jobs.push({ name: job.name, operationId: String((job.data as { operationId?: string }).operationId) });
    }
  }
  return jobs;
}

/** What bad input must never change: row counts and every agent's status. */
export async function databaseState(db: Db): Promise<Record<string, unknown>> {
  const [operations, auditEntries, webhookEvents, agents, subscriptions, provisioningJobs, instances] = await Promise.all([
    db.operation.count(),
    db.auditEntry.count(),
    db.webhookEvent.count(),
    db.agent.findMany({ select: { id: true, status: true, suspendedBy: true }, orderBy: { id: 'asc' } }),
    db.subscription.findMany({ select: { id: true, status: true, lastEventAt: true }, orderBy: { id: 'asc' } }),
    db.provisioningJob.findMany({ select: { id: true, status: true }, orderBy: { id: 'asc' } }),
    db.agentInstance.count(),
  ]);
  return { operations, auditEntries, webhookEvents, agents, subscriptions, provisioningJobs, instances };
}

/** Serves an app made with createApp (custom dependencies) on a free local port. */
export async function serveApp(app: Express): Promise<{ url: string; port: number; close(): Promise<void> }> {
  const server = createServer(app);
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}`,
    port,
    close: () =>
      new Promise<void>((resolve) => {
        server.close(() => resolve());
        server.closeAllConnections();
      }),
  };
}
