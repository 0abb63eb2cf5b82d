// Liveness (`/healthz`: the process answers) and readiness (`/readyz`: Redis answers PING
// and PostgreSQL `SELECT 1`, each within a short timeout); 503 names what is down.
import { pingDatabase, type Db } from '@agent-lifecycle/db';
import type { Logger } from '@agent-lifecycle/logger';
import { Router } from 'express';

export interface Pingable {
  ping(): Promise<unknown>;
}

export const READINESS_TIMEOUT_MS = 1_000;

type CheckResult = 'ok' | 'down';

async function check(name: string, probe: () => Promise<unknown>, logger: Logger, timeoutMs: number): Promise<CheckResult> {
  let timer: NodeJS.Timeout | undefined;
  try {
    await Promise.race([
      probe(),
      new Promise<never>((_resolve, reject) => {
        timer = setTimeout(() => reject(new Error(`no answer within ${timeoutMs} ms`)), timeoutMs);
      }),
    ]);
    return 'ok';
  } catch (error) {
    logger.warn({ dependency: name, err: error }, 'readiness check failed');
    return 'down';
  } finally {
    clearTimeout(timer);
  }
}

export function healthRouter({ db, redis, timeoutMs = READINESS_TIMEOUT_MS }: { db: Db; redis: Pingable; timeoutMs?: number }): Router {
  const router = Router();
  router.get('/healthz', (_req, res) => {
    res.json({ status: 'ok' });
  });
  router.get('/readyz', async (req, res) => {
    const [redisCheck, postgresCheck] = await Promise.all([
      check('redis', () => redis.ping(), req.log, timeoutMs),
      check('postgres', () => pingDatabase(db), req.log, timeoutMs),
    ]);
    const checks = { redis: redisCheck, postgres: postgresCheck };
    const ready = redisCheck === 'ok' && postgresCheck === 'ok';
    res.status(ready ? 200 : 503).json({ status: ready ? 'ok' : 'unavailable', checks });
  });
  return router;
}
