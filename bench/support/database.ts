// A fresh, migrated PostgreSQL database for one benchmark run, dropped at the end.
import { execFileSync } from 'node:child_process';
import path from 'node:path';
import pg from 'pg';

export const ADMIN_URL = 'postgresql://postgres@127.0.0.1:5432/postgres';
export const REDIS_URL = 'redis://127.0.0.1:6379';
export const root = path.resolve(__dirname, '../..');

export async function admin(sql: string): Promise<void> {
  const client = new pg.Client({ connectionString: ADMIN_URL });
  await client.connect();
  try {
    await client.query(sql);
  } finally {
    await client.end();
  }
}

export interface BenchDatabase {
  url: string;
  drop(): Promise<void>;
}

export async function freshDatabase(name: string): Promise<BenchDatabase> {
  const database = `agent_lifecycle_bench_${name}_${Date.now()}`;
  const url = ADMIN_URL.replace(/\/postgres$/, `/${database}`);
  await admin(`CREATE DATABASE "${database}"`);
  execFileSync(process.execPath, [path.join(root, 'node_modules/prisma/build/index.js'), 'migrate', 'deploy'], { cwd: root, env: { ...process.env, DATABASE_URL: url }, stdio: 'pipe' });
  return { url, drop: () => admin(`DROP DATABASE IF EXISTS "${database}" WITH (FORCE)`) };
}
