// The product's database on a fresh machine: create it when missing (from the server's
// `postgres` database), optionally start over (`--fresh`, sandbox only), apply migrations.
import { execFile } from 'node:child_process';
import path from 'node:path';
import { promisify } from 'node:util';
import pg from 'pg';
import { adminUrlOf, StartupError } from './services';

const run = promisify(execFile);

const quoteIdentifier = (name: string) => `"${name.replaceAll('"', '""')}"`;

export function databaseNameOf(databaseUrl: string): string {
  const name = decodeURIComponent(new URL(databaseUrl).pathname.replace(/^\//, ''));
  if (name === '') throw new StartupError('DATABASE_URL names no database (it should end in /<database>).');
  return name;
}

/** Creates the database when it does not exist; with `fresh`, drops it first. Returns what it did. */
export async function ensureDatabase(databaseUrl: string, options: { fresh: boolean }): Promise<'created' | 'recreated' | 'exists'> {
  const name = databaseNameOf(databaseUrl);
  const admin = new pg.Client({ connectionString: adminUrlOf(databaseUrl) });
  await admin.connect();
  try {
    if (options.fresh) {
      await admin.query(`DROP DATABASE IF EXISTS ${quoteIdentifier(name)} WITH (FORCE)`);
    }
    const { rowCount } = await admin.query('SELECT 1 FROM pg_database WHERE datname = $1', [name]);
    if (rowCount && rowCount > 0) return 'exists';
    await admin.query(`CREATE DATABASE ${quoteIdentifier(name)}`);
    return options.fresh ? 'recreated' : 'created';
  } finally {
    await admin.end();
  }
}

/** `prisma migrate deploy` with the product's DATABASE_URL; returns Prisma's summary line. */
export async function applyMigrations(rootDir: string, env: Record<string, string>): Promise<string> {
  const prisma = path.join(rootDir, 'node_modules', 'prisma', 'build', 'index.js');
  try {
    const { stdout } = await run(process.execPath, [prisma, 'migrate', 'deploy'], {
      cwd: rootDir,
      env: { ...env, PRISMA_HIDE_UPDATE_MESSAGE: '1', NO_COLOR: '1' },
      maxBuffer: 10 * 1024 * 1024,
    });
    const applied = stdout.match(/\b\d{14}_\w+/g) ?? [];
    if (applied.length > 0) return `migrations applied: ${applied.join(', ')}`;
    return 'database schema is up to date (no pending migrations)';
  } catch (error) {
    const output = `${(error as { stdout?: string }).stdout ?? ''}\n${(error as { stderr?: string }).stderr ?? ''}`;
    const last = output.split('\n').map((line) => line.trim()).filter(Boolean).slice(-3).join(' / ');
    throw new StartupError(`Applying migrations failed: ${last || (error as Error).message}`);
  }
}
