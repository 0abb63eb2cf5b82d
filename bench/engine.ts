// The engine's benchmark, against the simulator at real speed: Hetzner calls per stop, start
// and destroy with 100 operations at once; a customer's 80-agent cancellation under a tight
// budget, against the bound that budget sets; 1,000 stops on one worker process with the real
// 60 s grace (peak in flight, the worker's memory). `npx tsx bench/engine.ts [scenario…]`.
import { spawn, type ChildProcess } from 'node:child_process';
import { execFileSync } from 'node:child_process';
import { createServer } from 'node:net';
import path from 'node:path';
import pg from 'pg';
import { startCloudSim, type CloudSim } from '@agent-lifecycle/cloud-sim';
import { loadConfig, type Config } from '@agent-lifecycle/config';
import { createDb, type Db } from '@agent-lifecycle/db';
import { JobQueues, createRedisConnection } from '@agent-lifecycle/jobs';
import { JOB_TABLE, createBilling, createOperationRequests, createUser } from '@agent-lifecycle/lifecycle';
import { createLogger } from '@agent-lifecycle/logger';
import { startWorkers } from '@agent-lifecycle/worker';

const ADMIN_URL = 'postgresql://postgres@127.0.0.1:5432/postgres';
const REDIS_URL = 'redis://127.0.0.1:6379';
const CALLBACK_SECRET = 'bench-callback-secret';
const root = path.resolve(__dirname, '..');
const logger = createLogger('bench', { level: 'silent' });

export const ENGINE_SCENARIOS = ['calls', 'cancellation', 'thousand'] as const;
export type EngineScenario = (typeof ENGINE_SCENARIOS)[number];

export interface EngineBenchRow {
  label: string;
  value: string;
  target?: string;
}

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

async function admin(sql: string): Promise<void> {
  const client = new pg.Client({ connectionString: ADMIN_URL });
  await client.connect();
  try {
    await client.query(sql);
  } finally {
    await client.end();
  }
}

/** A migrated database of its own, dropped by `drop`. */
async function benchDatabase(name: string): Promise<{ url: string; db: Db; drop(): Promise<void> }> {
  const database = `agent_lifecycle_bench_${name}_${Date.now()}`;
  const url = ADMIN_URL.replace(/\/postgres$/, `/${database}`);
  await admin(`CREATE DATABASE "${database}"`);
  execFileSync(process.execPath, [path.join(root, 'node_modules/prisma/build/index.js'), 'migrate', 'deploy'], { cwd: root, env: { ...process.env, DATABASE_URL: url }, stdio: 'pipe' });
  const db = createDb(url, { poolSize: 5 });
  return {
    url,
    db,
    async drop() {
      await db.$disconnect();
      await admin(`DROP DATABASE IF EXISTS "${database}" WITH (FORCE)`);
    },
  };
}

function benchConfig(sim: CloudSim, databaseUrl: string, env: Record<string, string> = {}): Config {
  return loadConfig({
    DATABASE_URL: databaseUrl,
    REDIS_URL,
    SIM_PORT: String(sim.port),
    QUEUE_PREFIX: `al-bench-${Date.now()}`,
    GITHUB_CALLBACK_SECRET: CALLBACK_SECRET,
    STRIPE_WEBHOOK_SECRET: 'whsec_bench',
    BULL_BOARD_PASSWORD: 'bench',
    LOG_LEVEL: 'silent',
    ...env,
  });
}

type Counts = Record<string, { total: number; byStatus: Record<string, number> }>;
const simCounts = async (sim: CloudSim) => (await (await fetch(`${sim.url}/_sim/requests`)).json()) as Counts;

/** Hetzner calls (and 429 answers) the simulator served between two snapshots. */
function hetznerCalls(before: Counts, after: Counts): { calls: number; rateLimited: number; byEndpoint: Record<string, number> } {
  const byEndpoint: Record<string, number> = {};
  let calls = 0;
  let rateLimited = 0;
  for (const [key, count] of Object.entries(after)) {
    if (!key.includes(' /v1/')) continue;
    const delta = count.total - (before[key]?.total ?? 0);
    if (delta > 0) byEndpoint[key] = delta;
    calls += delta;
    rateLimited += (count.byStatus['429'] ?? 0) - (before[key]?.byStatus['429'] ?? 0);
  }
  return { calls, rateLimited, byEndpoint };
}

/**
 * The setup's own Hetzner project in the simulator (the same servers, a rate bucket of its own),
 * so creating the bench's servers spends none of the budget the workers are measured against.
 */
function setupToken(sim: CloudSim): string {
  const token = 'bench-setup';
  const { hetzner } = sim.credentials();
  if (!hetzner.projects.some((project) => project.tokens.includes(token))) sim.setCredentials({ hetzner: { projects: [...hetzner.projects, { name: token, tokens: [token] }] } });
  return token;
}

/** `count` servers labelled as the provisioning workflow labels them, running (or off). */
async function createServers(sim: CloudSim, agentIds: string[], options: { off?: boolean } = {}): Promise<number[]> {
  const ids: number[] = [];
  const token = setupToken(sim);
  for (const agentId of agentIds) {
    const response = await fetch(`${sim.url}/v1/servers`, {
      method: 'POST',
      headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json' },
      body: JSON.stringify({ name: `agent-${agentId}`, server_type: 'cx22', image: 'ubuntu-24.04', labels: { 'managed-by': 'agent-lifecycle', 'agent-id': agentId } }),
    });
    ids.push(((await response.json()) as { server: { id: number } }).server.id);
  }
  const wanted = new Set(ids);
  for (;;) {
    const servers = sim.state().servers as unknown as { id: number; status: string }[];
    if (servers.filter((server) => wanted.has(server.id)).every((server) => server.status === 'running')) break;
    await sleep(200);
  }
  if (options.off) {
    for (const id of ids) await fetch(`${sim.url}/v1/servers/${id}/actions/poweroff`, { method: 'POST', headers: { authorization: `Bearer ${token}` } });
  }
  return ids;
}

/** Agents of one new user, each with a labelled server (and a Tailscale device when asked). */
async function agentsWithServers(db: Db, sim: CloudSim, count: number, options: { devices?: boolean; stripeCustomerId?: string } = {}) {
  const { user } = await createUser(db, { email: `bench-${Date.now()}@example.com`, stripeCustomerId: options.stripeCustomerId });
  const agents = [];
  for (let i = 0; i < count; i += 1) agents.push(await db.agent.create({ data: { userId: user.id, name: `bench ${i}`, status: 'active' } }));
  const serverIds = await createServers(sim, agents.map((agent) => agent.id));
  for (const [index, agent] of agents.entries()) {
    const device = options.devices
      ? ((await (await fetch(`${sim.url}/_sim/devices`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ hostname: `agent-${agent.id}` }) })).json()) as { device: { id: string } }).device.id
      : null;
    await db.agentInstance.create({ data: { agentId: agent.id, serverId: BigInt(serverIds[index]!), tailscaleDeviceId: device, tailscaleHostname: `agent-${agent.id}`, status: 'running' } });
  }
  return { user, agents };
}

async function untilFinished(db: Db, ids: string[], timeoutMs: number, onTick?: () => Promise<void>): Promise<number> {
  const started = performance.now();
  for (;;) {
    await onTick?.();
    const open = await db.operation.count({ where: { id: { in: ids }, status: { in: ['queued', 'running'] } } });
    if (open === 0) return performance.now() - started;
    if (performance.now() - started > timeoutMs) throw new Error(`${open} of ${ids.length} operations still open after ${timeoutMs / 1000} s`);
    await sleep(100);
  }
}

const perOperation = (calls: number, operations: number) => (calls / operations).toFixed(2);

/** 100 stops, then 100 starts, then 100 destroys of the same agents, each wave accepted at once. */
async function callsPerOperation(): Promise<EngineBenchRow[]> {
  const sim = await startCloudSim({ callbackSecret: CALLBACK_SECRET, config: { timeScale: 1 } });
  const database = await benchDatabase('calls');
  const config = benchConfig(sim, database.url);
  const workers = await startWorkers({ config, logger, db: database.db, queues: ['hetzner', 'tailscale'], processMetrics: false });
  const requests = createOperationRequests({ db: database.db, queue: workers.jobQueues, logger });
  try {
    const { user, agents } = await agentsWithServers(database.db, sim, 100, { devices: true });
    const rows: EngineBenchRow[] = [];
    for (const kind of ['stop', 'start', 'destroy'] as const) {
      const before = await simCounts(sim);
      const operations = await Promise.all(agents.map(async (agent) => (await requests.requestOperation({ userId: user.id, agentId: agent.id, kind })).value.operation));
      const ms = await untilFinished(database.db, operations.map((operation) => operation.id), 5 * 60_000);
      const succeeded = await database.db.operation.count({ where: { id: { in: operations.map((operation) => operation.id) }, status: 'succeeded' } });
      const { calls, byEndpoint } = hetznerCalls(before, await simCounts(sim));
      rows.push({ label: `Hetzner calls per ${kind} (100 at once)`, value: `${perOperation(calls, 100)}  (${succeeded}/100 succeeded in ${(ms / 1000).toFixed(1)} s; ${JSON.stringify(byEndpoint)})`, target: '≤ 1.15' });
    }
    return rows;
  } finally {
    await workers.close({ force: true });
    await sim.close();
    await database.drop();
  }
}

/** A customer with 80 agents cancels, with the budget at {60, refill 4/s} on both sides. */
async function cancellation(): Promise<EngineBenchRow[]> {
  const agentsCount = 80;
  const budget = { limit: 60, refillPerSecond: 4 };
  const sim = await startCloudSim({ callbackSecret: CALLBACK_SECRET, config: { timeScale: 1 } });
  const database = await benchDatabase('cancel');
  const config = benchConfig(sim, database.url, { HETZNER_RATE_LIMIT_PER_HOUR: String(budget.refillPerSecond * 3600) });
  const workers = await startWorkers({ config, logger, db: database.db, queues: ['hetzner', 'tailscale'], processMetrics: false });
  const billing = createBilling({ db: database.db, queue: workers.jobQueues, logger });
  try {
    const customer = `cus_bench_${Date.now()}`;
    const { agents } = await agentsWithServers(database.db, sim, agentsCount, { devices: true, stripeCustomerId: customer });
    // A fresh, full bucket for the project the workers use.
    sim.configure({ rateLimit: budget });
    const before = await simCounts(sim);
    const started = performance.now();
    const acceptedAt = Date.now();
    const result = await billing.applyBillingEvent({
      kind: 'cancelled',
      eventId: `evt_bench_${Date.now()}`,
      customerId: customer,
      subscriptionId: `sub_${customer}`,
      occurredAt: new Date(),
      quantity: null,
      periodEnd: null,
    });
    await untilFinished(database.db, result.operations.map((operation) => operation.id), 5 * 60_000);
    const ms = performance.now() - started;
    const destroyed = await database.db.agent.count({ where: { id: { in: agents.map((agent) => agent.id) }, status: 'destroyed' } });
    const ends = await database.db.operation.aggregate({ where: { id: { in: result.operations.map((operation) => operation.id) } }, _min: { startedAt: true, finishedAt: true }, _max: { finishedAt: true } });
    const since = (date: Date | null) => (date ? ((date.getTime() - acceptedAt) / 1000).toFixed(1) : '-');
    const { calls, rateLimited, byEndpoint } = hetznerCalls(before, await simCounts(sim));
    // The bound: one delete per agent, the first `limit` at once, the rest at the refill rate.
    const boundMs = (Math.max(0, agentsCount - budget.limit) / budget.refillPerSecond) * 1000;
    return [
      { label: `80-agent cancellation, budget {${budget.limit}, ${budget.refillPerSecond}/s}`, value: `${(ms / 1000).toFixed(1)} s (${destroyed}/${agentsCount} destroyed)` },
      { label: '  first started / first and last destroyed', value: `${since(ends._min.startedAt)} / ${since(ends._min.finishedAt)} and ${since(ends._max.finishedAt)} s after the event` },
      { label: '  bound the budget sets (80 deletes)', value: `${(boundMs / 1000).toFixed(1)} s; ratio ${(ms / boundMs).toFixed(2)}×`, target: '≤ 1.2×' },
      { label: '  Hetzner calls / 429 answers', value: `${calls} / ${rateLimited}  (${JSON.stringify(byEndpoint)})`, target: 'no 429 at steady state' },
    ];
  } finally {
    await workers.close({ force: true });
    await sim.close();
    await database.drop();
  }
}

async function freePort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as { port: number };
  await new Promise((resolve) => server.close(resolve));
  return port;
}

/** The worker as its own process, as production runs it: `node --import tsx apps/worker/src/main.ts`. */
function spawnWorker(env: Record<string, string>): ChildProcess {
  const child = spawn(process.execPath, ['--import', 'tsx', 'apps/worker/src/main.ts', '--queues', 'hetzner'], { cwd: root, env: { ...process.env, ...env }, stdio: ['ignore', 'ignore', 'inherit'] });
  return child;
}

async function residentBytes(metricsUrl: string): Promise<number | null> {
  try {
    const text = await (await fetch(metricsUrl)).text();
    const line = text.split('\n').find((candidate) => candidate.startsWith('process_resident_memory_bytes '));
    return line ? Number(line.split(' ')[1]) : null;
  } catch {
    return null;
  }
}

/** 1,000 stops at once on one worker process, the real 60 s grace, a tenth of the guests ignoring ACPI. */
async function thousandStops(): Promise<EngineBenchRow[]> {
  const count = 1_000;
  const sim = await startCloudSim({ callbackSecret: CALLBACK_SECRET, config: { timeScale: 1, acpiIgnoreRate: 0.1 } });
  const database = await benchDatabase('thousand');
  const metricsPort = await freePort();
  const env = { STOP_GRACE_SECONDS: '60', WORKER_METRICS_PORT: String(metricsPort) };
  const config = benchConfig(sim, database.url, env);
  const connection = createRedisConnection(config.redisUrl, 'producer');
  const queues = new JobQueues({ connection, prefix: config.queuePrefix, jobs: JOB_TABLE });
  const requests = createOperationRequests({ db: database.db, queue: queues, logger });
  const worker = spawnWorker({ DATABASE_URL: database.url, REDIS_URL, SIM_PORT: String(sim.port), QUEUE_PREFIX: config.queuePrefix, LOG_LEVEL: 'warn', ...env });
  try {
    const { user, agents } = await agentsWithServers(database.db, sim, count);
    const metricsUrl = `http://127.0.0.1:${metricsPort}/metrics`;
    while ((await fetch(`http://127.0.0.1:${metricsPort}/readyz`).then((response) => response.ok, () => false)) === false) await sleep(200);
    const before = await simCounts(sim);
    const started = performance.now();
    const operations = [];
    for (const agent of agents) operations.push((await requests.requestOperation({ userId: user.id, agentId: agent.id, kind: 'stop' })).value.operation);
    const acceptedMs = performance.now() - started;
    let peakInFlight = 0;
    let peakRss = 0;
    const ms = await untilFinished(
      database.db,
      operations.map((operation) => operation.id),
      15 * 60_000,
      async () => {
        peakInFlight = Math.max(peakInFlight, await database.db.operation.count({ where: { status: 'running' } }));
        peakRss = Math.max(peakRss, (await residentBytes(metricsUrl)) ?? 0);
      },
    );
    const totalMs = acceptedMs + ms;
    const succeeded = await database.db.operation.count({ where: { id: { in: operations.map((operation) => operation.id) }, status: 'succeeded' } });
    const { calls, rateLimited, byEndpoint } = hetznerCalls(before, await simCounts(sim));
    return [
      { label: '1,000 stops on one worker process (60 s grace)', value: `${succeeded}/${count} succeeded in ${(totalMs / 1000).toFixed(1)} s (accepted in ${(acceptedMs / 1000).toFixed(1)} s)` },
      { label: '  peak operations in flight', value: String(peakInFlight) },
      { label: '  worker peak RSS', value: `${(peakRss / 1024 / 1024).toFixed(0)} MiB` },
      { label: '  Hetzner calls per stop / 429 answers', value: `${perOperation(calls, count)} / ${rateLimited}  (${JSON.stringify(byEndpoint)})` },
    ];
  } finally {
    worker.kill('SIGTERM');
    await new Promise((resolve) => worker.once('exit', resolve));
    await queues.close();
    connection.disconnect();
    await sim.close();
    await database.drop();
  }
}

const RUNS: Record<EngineScenario, () => Promise<EngineBenchRow[]>> = { calls: callsPerOperation, cancellation, thousand: thousandStops };

/** Runs the scenarios asked for (all by default) and returns their rows. */
export async function runEngineBench(scenarios: readonly EngineScenario[] = ENGINE_SCENARIOS): Promise<EngineBenchRow[]> {
  const rows: EngineBenchRow[] = [];
  for (const scenario of scenarios) rows.push(...(await RUNS[scenario]()));
  return rows;
}

export function formatEngineBench(rows: EngineBenchRow[]): string {
  const width = Math.max(...rows.map((row) => row.label.length));
  const lines = rows.map((row) => `${row.label.padEnd(width)}  ${row.value}${row.target ? `   [target ${row.target}]` : ''}`);
  return `\nagent-lifecycle engine benchmark (simulator at real speed)\n${lines.join('\n')}\n`;
}

async function main(): Promise<void> {
  const asked = process.argv.slice(2);
  const unknown = asked.filter((name) => !(ENGINE_SCENARIOS as readonly string[]).includes(name));
  if (unknown.length > 0) {
    process.stderr.write(`Unknown scenario(s) ${unknown.join(', ')}; choose from ${ENGINE_SCENARIOS.join(', ')}\n`);
    process.exit(2);
  }
  const rows = await runEngineBench(asked.length > 0 ? (asked as EngineScenario[]) : ENGINE_SCENARIOS);
  process.stdout.write(formatEngineBench(rows));
  process.exit(0);
}

if (require.main === module) {
  main().catch((error) => {
    process.stderr.write(`engine benchmark failed: ${(error as Error).stack ?? String(error)}\n`);
    process.exit(1);
  });
}
