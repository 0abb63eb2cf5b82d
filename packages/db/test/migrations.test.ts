import { execFile } from 'node:child_process';
import path from 'node:path';
import { promisify } from 'node:util';
import pg from 'pg';
import { adminDatabaseUrl, runId } from '@agent-lifecycle/testing';

const run = promisify(execFile);
const root = path.resolve(__dirname, '../../..');
const prisma = path.join(root, 'node_modules/prisma/build/index.js');

function urlOf(database: string): string {
  const url = new URL(adminDatabaseUrl);
  url.pathname = `/${database}`;
  return url.toString();
}

describe('migrations', () => {
  const database = `al_test_${runId()}_deploy`;

  beforeAll(async () => {
    const admin = new pg.Client({ connectionString: adminDatabaseUrl });
    await admin.connect();
    await admin.query(`CREATE DATABASE "${database}"`);
    await admin.end();
  });

  afterAll(async () => {
    const admin = new pg.Client({ connectionString: adminDatabaseUrl });
    await admin.connect();
    await admin.query(`DROP DATABASE IF EXISTS "${database}" WITH (FORCE)`);
    await admin.end();
  });

  it('npm run db:deploy creates the whole schema in an empty database', async () => {
    await run('npm', ['run', 'db:deploy'], { cwd: root, env: { ...process.env, DATABASE_URL: urlOf(database) } });
    const client = new pg.Client({ connectionString: urlOf(database) });
    await client.connect();
    const { rows } = await client.query<{ table_name: string }>(
      "SELECT table_name FROM information_schema.tables WHERE table_schema = 'public' ORDER BY table_name",
    );
    await client.end();
    expect(rows.map((row) => row.table_name)).toEqual([
      'Agent',
      'AgentInstance',
      'ApiToken',
      'AuditEntry',
      'CloudWait',
      'Operation',
      'OperationStep',
      'ProvisioningJob',
      'Subscription',
      'User',
      'WebhookEvent',
      '_prisma_migrations',
    ]);
  });

  it('match schema.prisma exactly (migrate diff from the migrations to the schema is empty)', async () => {
    const { stdout } = await run(
      process.execPath,
      [prisma, 'migrate', 'diff', '--from-migrations', 'prisma/migrations', '--to-schema-datamodel', 'prisma/schema.prisma', '--script'],
      { cwd: root, env: { ...process.env, DATABASE_URL: urlOf(database) } },
    );
    const statements = stdout.split('\n').filter((line) => line.trim() !== '' && !line.startsWith('--'));
    expect(statements).toEqual([]);
    expect(stdout).toContain('empty migration');
  });
});
