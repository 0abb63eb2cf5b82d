// What commands work with, made on first use so `--help` and usage errors need no
// database: the configuration (with the sandbox's `.data/sandbox.env`), Prisma, BullMQ
// (loaded only by the commands that touch queues, as it is slow to load), a stderr logger.
import os from 'node:os';
import { ConfigError, loadConfig, withSandboxEnvironment, type Config } from '@agent-lifecycle/config';
import { createDb, type Db } from '@agent-lifecycle/db';
import type { JobQueues } from '@agent-lifecycle/jobs';
import type { OperationQueue } from '@agent-lifecycle/lifecycle';
import { createLogger, type Logger } from '@agent-lifecycle/logger';
import { CommandFailed } from './cli-errors';

export interface CliContext {
  readonly rootDir: string;
  /** Who an operator action is recorded as in the audit trail. */
  readonly actor: string;
  config(): Config;
  db(): Db;
  queues(): Promise<JobQueues>;
  /** The operations' queue for use cases; Redis is reached only when one is enqueued. */
  operationQueue(): OperationQueue;
  /** Warnings on stderr (stdout stays a table or pure JSON). */
  logger(): Logger;
  close(): Promise<void>;
}

export function createCliContext(rootDir: string): CliContext {
  let config: Config | undefined;
  let db: Db | undefined;
  let redis: { disconnect(): void } | undefined;
  let queues: JobQueues | undefined;
  let logger: Logger | undefined;
  const context: CliContext = {
    rootDir,
    actor: `agentctl:${os.userInfo().username}`,
    config() {
      if (!config) {
        try {
          config = loadConfig(withSandboxEnvironment(rootDir));
        } catch (error) {
          if (error instanceof ConfigError) throw new CommandFailed(error.message);
          throw error;
        }
      }
      return config;
    },
    db() {
      db ??= createDb(context.config().databaseUrl, { poolSize: 2 });
      return db;
    },
    async queues() {
      if (!queues) {
        const jobs = await import('@agent-lifecycle/jobs');
        const connection = jobs.createRedisConnection(context.config().redisUrl, 'producer');
        redis = connection;
        const { JOB_TABLE } = await import('@agent-lifecycle/lifecycle');
        queues = new jobs.JobQueues({ connection, prefix: context.config().queuePrefix, jobs: JOB_TABLE });
      }
      return queues;
    },
    operationQueue() {
      return {
        enqueue: async (name, operationId, options) => (await context.queues()).enqueue(name, operationId, options),
        hasLiveJob: async (name, operationId) => (await context.queues()).hasLiveJob(name, operationId),
        requeue: async (name, operationId) => (await context.queues()).requeue(name, operationId),
      };
    },
    logger() {
      logger ??= createLogger('agentctl', { level: context.config().logLevel === 'silent' ? 'silent' : 'warn', destination: process.stderr });
      return logger;
    },
    async close() {
      await queues?.close();
      redis?.disconnect();
      await db?.$disconnect();
    },
  };
  return context;
}
