// Before any test: checks Redis and PostgreSQL are up, creates this run's template
// database with every migration applied, and sweeps databases of runs that crashed.
import { execFileSync } from 'node:child_process';
import path from 'node:path';
import Redis from 'ioredis';
import pg from 'pg';
import { adminDatabaseUrl, databasePrefix, databaseUrl, newRunId, setRunId, templateDatabase, testRedisUrl } from './run-environment';

const STALE_AFTER_MS = 6 * 60 * 60 * 1000;

async function checkRedis(): Promise<void> {
  const redis = new Redis(testRedisUrl, { lazyConnect: true, maxRetriesPerRequest: 1, retryStrategy: () => null });
  try {
    await redis.connect();
    await redis.ping();
  } catch (error) {
    throw new Error(`Tests need Redis at ${testRedisUrl}: ${(error as Error).message}. Start it (e.g. \`redis-server --daemonize yes\`).`);
  } finally {
    redis.disconnect();
  }
}

async function sweepStaleDatabases(admin: pg.Client): Promise<void> {
  const { rows } = await admin.query<{ datname: string }>('SELECT datname FROM pg_database WHERE datname LIKE $1', [`${databasePrefix}%`]);
  for (const { datname } of rows) {
    const started = Number.parseInt(datname.slice(databasePrefix.length).slice(0, 8), 36);
    if (Number.isFinite(started) && Date.now() - started > STALE_AFTER_MS) {
      await admin.query(`DROP DATABASE IF EXISTS "${datname}" WITH (FORCE)`);
    }
  }
}

export default async function globalSetup(): Promise<void> {
  await checkRedis();
  const admin = new pg.Client({ connectionString: adminDatabaseUrl });
  try {
    await admin.connect();
  } catch (error) {
    throw new Error(`Tests need PostgreSQL at ${adminDatabaseUrl}: ${(error as Error).message}.`);
  }
  const id = newRunId();
  setRunId(id);
  try {
    await sweepStaleDatabases(admin);
    await admin.query(`CREATE DATABASE "${templateDatabase(id)}"`);
  } finally {
    await admin.end();
  }
  const root = path.resolve(__dirname, '../../..');
  execFileSync(process.execPath, [path.join(root, 'node_modules/prisma/build/index.js'), 'migrate', 'deploy'], {
    cwd: root,
    env: { ...process.env, DATABASE_URL: databaseUrl(templateDatabase(id)) },
    stdio: 'pipe',
  });
}
