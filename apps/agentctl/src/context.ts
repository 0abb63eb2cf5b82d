// What commands work with, made on first use so `--help` and usage errors need no
// database: the configuration (with the sandbox secrets of `npm start`), Prisma, BullMQ
// (loaded only by the one command that enqueues, as it is slow to load).
import os from 'node:os';
import { ConfigError, loadConfig, withSandboxEnvironment, type Config } from '@agent-lifecycle/config';
import { createDb, type Db } from '@agent-lifecycle/db';
import type { JobQueues } from '@agent-lifecycle/jobs';
import { CommandFailed } from './cli-errors';

export interface CliContext {
  readonly rootDir: string;
  /** Who an operator action is recorded as in the audit trail. */
  readonly actor: string;
  config(): Config;
  db(): Db;
  queues(): Promise<JobQueues>;
  close(): Promise<void>;
}

export function createCliContext(rootDir: string): CliContext {
  let config: Config | undefined;
  let db: Db | undefined;
  let redis: { disconnect(): void } | undefined;
  let queues: JobQueues | undefined;
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
        queues = new jobs.JobQueues({ connection, prefix: context.config().queuePrefix });
      }
      return queues;
    },
    async close() {
      await queues?.close();
      redis?.disconnect();
      await db?.$disconnect();
    },
  };
  return context;
}
