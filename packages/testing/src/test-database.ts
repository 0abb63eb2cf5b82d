// A fresh PostgreSQL database for one test file, copied from the run's migrated
// template in a few milliseconds, and dropped when the file is done.
import { randomUUID } from 'node:crypto';
import { createDb, type Db } from '@agent-lifecycle/db';
import pg from 'pg';
import { adminDatabaseUrl, databaseUrl, runId, templateDatabase } from './run-environment';

export interface TestDatabase {
  url: string;
  name: string;
  db: Db;
  drop(): Promise<void>;
}

async function withAdmin<T>(work: (admin: pg.Client) => Promise<T>): Promise<T> {
  const admin = new pg.Client({ connectionString: adminDatabaseUrl });
  await admin.connect();
  try {
    return await work(admin);
  } finally {
    await admin.end();
  }
}

const TEMPLATE_BUSY = '55006';

export async function createTestDatabase(): Promise<TestDatabase> {
  const id = runId();
  // Random, not a counter: Jest gives every test file a fresh module registry in the same process.
  const name = `${templateDatabase(id).replace(/_template$/, '')}_${randomUUID().replaceAll('-', '').slice(0, 12)}`;
  await withAdmin(async (admin) => {
    // Two files copying the template at once make PostgreSQL refuse one; try again.
    for (let attempt = 0; ; attempt += 1) {
      try {
        await admin.query(`CREATE DATABASE "${name}" TEMPLATE "${templateDatabase(id)}"`);
        return;
      } catch (error) {
        if ((error as { code?: string }).code !== TEMPLATE_BUSY || attempt >= 50) throw error;
        await new Promise((resolve) => setTimeout(resolve, 50 + Math.random() * 100));
      }
    }
  });
  const url = databaseUrl(name);
  const db = createDb(url, { poolSize: 5 });
  return {
    url,
    name,
    db,
    async drop() {
      await db.$disconnect();
      await withAdmin((admin) => admin.query(`DROP DATABASE IF EXISTS "${name}" WITH (FORCE)`));
    },
  };
}
