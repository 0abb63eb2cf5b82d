// A worker starts its jobs only once Redis and PostgreSQL answer; until then it says, in its
// structured log, which one it is waiting for, and tries again with a growing pause.
import type Redis from 'ioredis';
import { pingDatabase, type Db } from '@agent-lifecycle/db';
import type { Logger } from '@agent-lifecycle/logger';

/** PING, once the connection had its chance to connect (a fresh one is still connecting). */
async function redisAnswers(connection: Redis): Promise<void> {
  if (connection.status === 'connecting' || connection.status === 'wait' || connection.status === 'reconnecting') {
    await new Promise<void>((resolve) => {
      const done = () => {
        clearTimeout(timer);
        connection.off('ready', done);
        resolve();
      };
      const timer = setTimeout(done, 2_000);
      connection.once('ready', done);
    });
  }
  await connection.ping();
}

/** Resolves once `probe` answers, trying again (and saying so) while the dependency is away. */
async function untilReachable(name: string, probe: () => Promise<unknown>, logger: Logger): Promise<void> {
  for (let attempt = 0; ; attempt += 1) {
    try {
      await probe();
      if (attempt > 0) logger.info({ dependency: name }, `${name} answers`);
      return;
    } catch (error) {
      const retryInMs = Math.min(500 * 2 ** attempt, 5_000);
      logger.warn({ dependency: name, err: error instanceof Error ? error.message : String(error), retryInMs }, `${name} is not reachable; workers wait before starting`);
      await new Promise((resolve) => setTimeout(resolve, retryInMs));
    }
  }
}

export async function waitForDependencies({ redis, db, logger }: { redis: Redis; db: Db; logger: Logger }): Promise<void> {
  await untilReachable('Redis', () => redisAnswers(redis), logger);
  await untilReachable('PostgreSQL', () => pingDatabase(db), logger);
}
