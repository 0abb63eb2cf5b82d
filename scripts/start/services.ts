// Redis and PostgreSQL for `npm start`: use them when they answer; when they do not and
// this machine can run them, start a private instance under .data/ on the configured
// port; otherwise stop with one line saying how to start them.
import { execFile } from 'node:child_process';
import { existsSync, mkdirSync, readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { promisify } from 'node:util';
import Redis from 'ioredis';
import pg from 'pg';
import { isLocalHost, portFree, sleep } from './net';
import type { Supervisor } from './supervisor';

const run = promisify(execFile);

/** Start-up cannot continue; the message is the one line the operator sees. */
export class StartupError extends Error {}

export interface ServiceDeps {
  rootDir: string;
  supervisor: Supervisor;
  env: Record<string, string>;
  say(message: string): void;
}

// 57P03: PostgreSQL is starting up or shutting down; it will answer shortly.
const UNREACHABLE = new Set(['57P03', 'ECONNREFUSED', 'ENOENT', 'ETIMEDOUT', 'EHOSTUNREACH', 'ENOTFOUND', 'EAI_AGAIN', 'ECONNRESET']);

/** host:port of a URL, never its credentials. */
export function addressOf(url: URL, defaultPort: number): string {
  return `${url.hostname}:${url.port || defaultPort}`;
}

function isUnreachable(error: unknown): boolean {
  const code = (error as { code?: string }).code;
  const message = error instanceof Error ? error.message : String(error);
  return (code !== undefined && UNREACHABLE.has(code)) || /ECONNREFUSED|Connection is closed|timeout/i.test(message);
}

function which(binary: string, searchPath: string): string | undefined {
  const dirs = searchPath.split(path.delimiter).filter(Boolean);
  return dirs.map((dir) => path.join(dir, binary)).find((candidate) => existsSync(candidate));
}

async function succeeds(command: string, args: string[]): Promise<boolean> {
  try {
    await run(command, args);
    return true;
  } catch {
    return false;
  }
}

// ---- Redis ----------------------------------------------------------------------------

async function redisState(url: string): Promise<'ok' | 'unreachable'> {
  const redis = new Redis(url, { lazyConnect: true, retryStrategy: () => null, maxRetriesPerRequest: 0, connectTimeout: 2_000, enableOfflineQueue: false });
  redis.on('error', () => undefined);
  try {
    await redis.connect();
    await redis.ping();
    return 'ok';
  } catch (error) {
    if (isUnreachable(error)) return 'unreachable';
    throw new StartupError(`Redis at ${addressOf(new URL(url), 6379)} answered with an error: ${(error as Error).message} (check REDIS_URL)`);
  } finally {
    redis.disconnect();
  }
}

export async function ensureRedis(redisUrl: string, deps: ServiceDeps): Promise<void> {
  if ((await redisState(redisUrl)) === 'ok') return;
  const url = new URL(redisUrl);
  const port = Number(url.port || 6379);
  const address = addressOf(url, 6379);
  const binary = which('redis-server', deps.env.PATH ?? '');
  const hint = `Redis is not reachable at ${address}: start it with \`docker compose -f docker-compose.yml -f docker-compose.local.yml up -d redis\` (or \`redis-server --daemonize yes\`), or set REDIS_URL.`;
  if (!binary || !isLocalHost(url.hostname) || url.password !== '' || !(await portFree(port))) throw new StartupError(hint);

  const dir = path.join(deps.rootDir, '.data', 'redis');
  mkdirSync(dir, { recursive: true });
  deps.say(`Redis is not running at ${address}; starting a private one (data in .data/redis, stopped with npm start)`);
  deps.supervisor.spawn({
    name: 'redis',
    role: 'service',
    command: binary,
    // The production settings (docs/operations.md, Redis): append-only file, never evict queue keys.
    args: ['--port', String(port), '--bind', '127.0.0.1', '--dir', dir, '--appendonly', 'yes', '--appendfsync', 'everysec', '--maxmemory-policy', 'noeviction', '--save', '', '--loglevel', 'warning', '--daemonize', 'no'],
    env: deps.env,
    cwd: deps.rootDir,
  });
  for (let waited = 0; waited < 10_000; waited += 200) {
    if ((await redisState(redisUrl)) === 'ok') return;
    await sleep(200);
  }
  throw new StartupError(`The private Redis did not come up on port ${port}; see the [redis] lines above.`);
}

// ---- PostgreSQL -------------------------------------------------------------------------

/** The same server's maintenance database, where CREATE DATABASE is run. */
export function adminUrlOf(databaseUrl: string, database = 'postgres'): string {
  const url = new URL(databaseUrl);
  url.pathname = `/${database}`;
  return url.toString();
}

async function postgresState(databaseUrl: string): Promise<'ok' | 'unreachable'> {
  const client = new pg.Client({ connectionString: adminUrlOf(databaseUrl), connectionTimeoutMillis: 3_000 });
  client.on('error', () => undefined);
  try {
    await client.connect();
    return 'ok';
  } catch (error) {
    if (isUnreachable(error)) return 'unreachable';
    const url = new URL(databaseUrl);
    throw new StartupError(`PostgreSQL at ${addressOf(url, 5432)} refused user "${decodeURIComponent(url.username || 'postgres')}": ${(error as Error).message} (check DATABASE_URL)`);
  } finally {
    await client.end().catch(() => undefined);
  }
}

/** A cluster of Debian's postgresql-common on this port, which `pg_ctlcluster` starts. */
function debianCluster(port: number, searchPath: string): { version: string; name: string } | undefined {
  const root = '/etc/postgresql';
  if (!which('pg_ctlcluster', searchPath) || !existsSync(root)) return undefined;
  for (const version of readdirSync(root)) {
    for (const name of readdirSync(path.join(root, version))) {
      const conf = path.join(root, version, name, 'postgresql.conf');
      if (!existsSync(conf)) continue;
      const configured = /^\s*port\s*=\s*(\d+)/m.exec(readFileSync(conf, 'utf8'))?.[1] ?? '5432';
      if (Number(configured) === port) return { version, name };
    }
  }
  return undefined;
}

/** The directory holding initdb and postgres: on PATH, or Debian's newest /usr/lib/postgresql/N/bin. */
function postgresBinDir(searchPath: string): string | undefined {
  const onPath = which('initdb', searchPath);
  const candidates = onPath ? [path.dirname(onPath)] : [];
  const debian = '/usr/lib/postgresql';
  if (existsSync(debian)) {
    const versions = readdirSync(debian).filter((v) => /^\d+$/.test(v)).sort((a, b) => Number(b) - Number(a));
    candidates.push(...versions.map((v) => path.join(debian, v, 'bin')));
  }
  return candidates.find((dir) => existsSync(path.join(dir, 'initdb')) && existsSync(path.join(dir, 'postgres')));
}

async function startPrivatePostgres(url: URL, port: number, deps: ServiceDeps): Promise<string | undefined> {
  const bin = postgresBinDir(deps.env.PATH ?? '');
  if (!bin) return 'no PostgreSQL server is installed here';
  // PostgreSQL refuses to run as root: run it as the `postgres` account when there is one.
  let asUser: string[] = [];
  if (process.getuid?.() === 0) {
    if (!which('runuser', deps.env.PATH ?? '') || !(await succeeds('id', ['-u', 'postgres']))) return 'PostgreSQL will not run as root and there is no postgres account';
    asUser = ['runuser', '-u', 'postgres', '--'];
  }
  const dataDir = path.join(deps.rootDir, '.data', 'postgres');
  const user = decodeURIComponent(url.username || 'postgres');
  if (!existsSync(path.join(dataDir, 'PG_VERSION'))) {
    mkdirSync(dataDir, { recursive: true, mode: 0o700 });
    if (asUser.length > 0) await run('chown', ['-R', 'postgres:', dataDir]);
    deps.say(`initialising a private PostgreSQL in .data/postgres (superuser "${user}", trust authentication on 127.0.0.1)`);
    const [command, ...args] = [...asUser, path.join(bin, 'initdb'), '-D', dataDir, '-U', user, '--auth=trust', '-E', 'UTF8', '--no-locale'];
    try {
      await run(command ?? 'initdb', args);
    } catch (error) {
      return `initdb failed: ${(error as { stderr?: string }).stderr?.trim().split('\n').pop() ?? (error as Error).message}`;
    }
  }
  const [command, ...args] = [...asUser, path.join(bin, 'postgres'), '-D', dataDir, '-p', String(port), '-c', 'listen_addresses=127.0.0.1', '-k', dataDir];
  deps.say(`PostgreSQL is not running at ${addressOf(url, 5432)}; starting a private one (data in .data/postgres, stopped with npm start)`);
  // SIGINT is PostgreSQL's fast shutdown: it does not wait for clients to disconnect.
  deps.supervisor.spawn({ name: 'postgres', role: 'service', command: command ?? 'postgres', args, env: deps.env, cwd: deps.rootDir, stopSignal: 'SIGINT' });
  return undefined;
}

export async function ensurePostgres(databaseUrl: string, deps: ServiceDeps): Promise<void> {
  if ((await postgresState(databaseUrl)) === 'ok') return;
  const url = new URL(databaseUrl);
  const port = Number(url.port || 5432);
  const address = addressOf(url, 5432);
  const hint = (why: string) => `PostgreSQL is not reachable at ${address} (${why}): start it with \`docker compose -f docker-compose.yml -f docker-compose.local.yml up -d postgres\`, or set DATABASE_URL.`;
  if (!isLocalHost(url.hostname)) throw new StartupError(hint('not on this machine'));
  if (!(await portFree(port))) throw new StartupError(hint(`port ${port} is taken by something else`));

  const cluster = debianCluster(port, deps.env.PATH ?? '');
  if (cluster) {
    deps.say(`PostgreSQL is not running; starting this machine's cluster ${cluster.version}/${cluster.name} with pg_ctlcluster (it stays running after npm start stops)`);
    try {
      await run('pg_ctlcluster', ['--skip-systemctl-redirect', cluster.version, cluster.name, 'start']);
    } catch (error) {
      throw new StartupError(hint(`pg_ctlcluster failed: ${((error as { stderr?: string }).stderr ?? (error as Error).message).trim().split('\n')[0]}`));
    }
  } else {
    const reason = await startPrivatePostgres(url, port, deps);
    if (reason) throw new StartupError(hint(reason));
  }
  for (let waited = 0; waited < 20_000; waited += 250) {
    if ((await postgresState(databaseUrl)) === 'ok') return;
    await sleep(250);
  }
  throw new StartupError(`PostgreSQL did not come up on port ${port}; see the [postgres] lines above.`);
}
