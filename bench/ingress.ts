// `npm run bench ingress`: the ingress against a bare Express 5 baseline, side by side in one
// run, with one load tool (autocannon, programmatic). Both run as processes of their own (the
// ingress from its compiled dist/main.js, as in production), so each one's CPU time and memory
// are its own. Every load user has its own token; requests rotate over them so the per-user
// rate limit never enters the figures. Prints one table and the targets, met or not.
import { execFileSync } from 'node:child_process';
import { mkdirSync, readdirSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import autocannon from 'autocannon';
import Redis from 'ioredis';
import pg from 'pg';
import Stripe from 'stripe';
import { createDb } from '@agent-lifecycle/db';
import { hashToken } from '@agent-lifecycle/lifecycle';
import { freshDatabase, REDIS_URL, root } from './support/database';
import { summarizeProfile } from './support/profile';
import { cpuMsOf, freePort, startProcess, type Measured } from './support/processes';

export interface IngressBenchOptions {
  /** Measured seconds per row (after a warm-up of half of it, at least 3 s). */
  seconds?: number;
  /** Load users (each with a token, a running agent, a paused agent and a Stripe customer). */
  users?: number;
  /** Record a CPU profile of the ingress (`node --cpu-prof`) and print where its time went. */
  profile?: boolean;
}

export interface Row {
  name: string;
  connections: number;
  requestsPerSecond: number;
  p50: number;
  p99: number;
  non2xx: number;
  /** Throughput against the baseline row it is compared with. */
  ratio: number | null;
  /** Ingress (or baseline) CPU time per request, ms. */
  cpuMsPerRequest: number;
  /** CPU time of its PostgreSQL backends per request, ms. */
  postgresCpuMsPerRequest: number;
  /** Peak RSS of the process under load so far, MiB. */
  peakRssMiB: number;
}

const STRIPE_SECRET = 'whsec_bench';
/** As the Dockerfile runs the ingress. */
const INGRESS_NODE_FLAGS = ['--max-old-space-size=128'];
const TOKEN_PREFIX = 'al_bench_';

interface LoadUser {
  token: string;
  runningAgentId: string;
  customerId: string;
  /** Seconds added to the next event's `created`, so each customer's events arrive in order. */
  events: number;
}

async function seed(databaseUrl: string, count: number): Promise<LoadUser[]> {
  const db = createDb(databaseUrl, { poolSize: 2 });
  try {
    const users = Array.from({ length: count }, (_, i) => ({
      id: `bench_user_${i}`,
      email: `bench-${i}@example.com`,
      stripeCustomerId: `cus_bench_${i}`,
      token: `${TOKEN_PREFIX}${i}_${Math.random().toString(36).slice(2)}`,
    }));
    await db.user.createMany({ data: users.map(({ id, email, stripeCustomerId }) => ({ id, email, stripeCustomerId })) });
    await db.apiToken.createMany({ data: users.map((user) => ({ userId: user.id, tokenHash: hashToken(user.token), prefix: user.token.slice(0, 8) })) });
    await db.subscription.createMany({ data: users.map((user) => ({ id: `sub_bench_${user.id}`, userId: user.id, status: 'active' as const, quantity: 2, lastEventAt: new Date(0) })) });
    const agents = users.flatMap((user, i) => [
      { id: `bench_running_${i}`, userId: user.id, name: `running ${i}`, status: 'active' as const },
      { id: `bench_paused_${i}`, userId: user.id, name: `paused ${i}`, status: 'paused' as const },
    ]);
    await db.agent.createMany({ data: agents });
    await db.agentInstance.createMany({
      data: agents.map((agent, i) => ({ agentId: agent.id, serverId: BigInt(100_000 + i), ipv4: '203.0.113.10', tailscaleHostname: `agent-${agent.id}`, status: agent.status === 'active' ? ('running' as const) : ('stopped' as const) })),
    });
    return users.map((user, i) => ({ token: user.token, runningAgentId: `bench_running_${i}`, customerId: user.stripeCustomerId, events: 0 }));
  } finally {
    await db.$disconnect();
  }
}

/** Round robin over the load users. */
function rotation(users: LoadUser[]): () => LoadUser {
  let next = 0;
  return () => users[next++ % users.length]!;
}

let eventSerial = 0;
/** A signed Stripe event for the next customer: payment failures and payments in turn, in time order. */
function stripeDelivery(user: LoadUser): { body: string; headers: Record<string, string> } {
  user.events += 1;
  eventSerial += 1;
  const type = user.events % 2 === 1 ? 'invoice.payment_failed' : 'invoice.paid';
  const body = JSON.stringify({
    id: `evt_bench_${eventSerial}_${Math.random().toString(36).slice(2, 8)}`,
    object: 'event',
    type,
    created: 1_800_000_000 + user.events,
    data: {
      object: {
        object: 'invoice',
        customer: user.customerId,
        parent: { type: 'subscription_details', subscription_details: { subscription: `sub_bench_${user.customerId.replace('cus_bench_', 'bench_user_')}` } },
        lines: { data: [{ quantity: 2, parent: { type: 'subscription_item_details', subscription_item_details: { proration: false } } }], has_more: false },
      },
    },
  });
  return { body, headers: { 'content-type': 'application/json', 'stripe-signature': Stripe.webhooks.generateTestHeaderString({ payload: body, secret: STRIPE_SECRET }) } };
}

type RequestOf = () => { method: 'GET' | 'POST'; path: string; headers?: Record<string, string>; body?: string };

function load(url: string, connections: number, seconds: number, requestOf: RequestOf): Promise<autocannon.Result> {
  return autocannon({
    url,
    connections,
    duration: seconds,
    requests: [
      {
        setupRequest: (request) => {
          const next = requestOf();
          return { ...request, method: next.method, path: next.path, headers: { ...request.headers, ...next.headers }, body: next.body };
        },
      },
    ],
  });
}

/** The PostgreSQL backends (server processes) of the connections named `application`. */
async function backendsOf(databaseUrl: string, application: string): Promise<number[]> {
  const client = new pg.Client({ connectionString: databaseUrl });
  await client.connect();
  try {
    const { rows } = await client.query<{ pid: number }>('SELECT pid FROM pg_stat_activity WHERE application_name = $1', [application]);
    return rows.map((row) => row.pid);
  } finally {
    await client.end();
  }
}

const sumCpuMs = (pids: number[]) => pids.reduce((sum, pid) => sum + cpuMsOf(pid), 0);

async function measure(target: Measured & { backends: () => Promise<number[]> }, url: string, connections: number, seconds: number, requestOf: RequestOf) {
  // Long enough for V8 to have optimised the hot code: CPU per request is measured warm.
  await load(url, connections, Math.max(3, Math.round(seconds / 2)), requestOf);
  const backends = await target.backends();
  const cpuBefore = target.cpuMs();
  const postgresBefore = sumCpuMs(backends);
  const result = await load(url, connections, seconds, requestOf);
  const cpuMs = target.cpuMs() - cpuBefore;
  const postgresMs = sumCpuMs(backends) - postgresBefore;
  const requests = result.requests.total;
  return {
    connections,
    requestsPerSecond: requests / result.duration,
    p50: result.latency.p50,
    p99: result.latency.p99,
    non2xx: result.non2xx + result.errors,
    cpuMsPerRequest: requests > 0 ? cpuMs / requests : Number.NaN,
    postgresCpuMsPerRequest: requests > 0 ? postgresMs / requests : Number.NaN,
    peakRssMiB: target.peakRssMiB(),
  };
}

async function deleteQueueKeys(prefix: string): Promise<void> {
  const redis = new Redis(REDIS_URL);
  try {
    let cursor = '0';
    do {
      const [next, keys] = await redis.scan(cursor, 'MATCH', `${prefix}:*`, 'COUNT', 1000);
      cursor = next;
      if (keys.length > 0) await redis.unlink(...keys);
    } while (cursor !== '0');
  } finally {
    redis.disconnect();
  }
}

export async function runIngressBench(options: IngressBenchOptions = {}): Promise<Row[]> {
  const seconds = options.seconds ?? 10;
  const userCount = options.users ?? 2_000;
  execFileSync(process.execPath, [path.join(root, 'scripts/build.mjs')], { stdio: 'pipe' });
  const database = await freshDatabase('ingress');
  const queuePrefix = `al-bench-${Date.now()}`;
  const profileDir = path.join(root, 'bench', 'profiles', new Date().toISOString().replaceAll(':', '-'));
  const processes: Measured[] = [];
  try {
    const users = await seed(database.url, userCount);
    const [ingressPort, baselinePort] = [await freePort(), await freePort()];
    // Each names its PostgreSQL connections, so the CPU of their server processes can be read too.
    const urlFor = (application: string) => `${database.url}?application_name=${application}`;
    const env = { REDIS_URL, QUEUE_PREFIX: queuePrefix };
    const started = await startProcess('baseline', [path.join(root, 'bench/baseline-server.mjs')], { ...env, DATABASE_URL: urlFor('bench-baseline'), BASELINE_PORT: String(baselinePort) }, `http://127.0.0.1:${baselinePort}/healthz`);
    const baseline = { ...started, backends: () => backendsOf(database.url, 'bench-baseline') };
    processes.push(baseline);
    if (options.profile) mkdirSync(profileDir, { recursive: true });
    const ingressProcess = await startProcess(
      'ingress',
      [...INGRESS_NODE_FLAGS, ...(options.profile ? ['--cpu-prof', `--cpu-prof-dir=${profileDir}`] : []), path.join(root, 'apps/ingress/dist/main.js')],
      {
        ...env,
        DATABASE_URL: urlFor('bench-ingress'),
        // Production, as deployed: real-looking credentials (never used: the ingress calls no cloud), every secret set.
        NODE_ENV: 'production',
        PORT: String(ingressPort),
        PUBLIC_URL: `http://127.0.0.1:${ingressPort}`,
        HCLOUD_TOKEN: 'bench',
        TAILSCALE_API_KEY: 'bench',
        GITHUB_TOKEN: 'bench',
        GITHUB_REPO: 'bench/agents',
        GITHUB_WORKFLOW: 'provision-agent.yml',
        GITHUB_CALLBACK_SECRET: 'bench-callback-secret',
        STRIPE_WEBHOOK_SECRET: STRIPE_SECRET,
        BULL_BOARD_USER: 'operator',
        BULL_BOARD_PASSWORD: 'bench',
        LOG_LEVEL: 'info',
      },
      `http://127.0.0.1:${ingressPort}/readyz`,
    );
    const ingress = { ...ingressProcess, backends: () => backendsOf(database.url, 'bench-ingress') };
    processes.push(ingress);

    const ingressUrl = `http://127.0.0.1:${ingressPort}`;
    const baselineUrl = `http://127.0.0.1:${baselinePort}`;
    const nextUser = rotation(users);
    const stopOf: RequestOf = () => {
      const user = nextUser();
      return { method: 'POST', path: `/api/agents/${user.runningAgentId}/stop`, headers: { authorization: `Bearer ${user.token}` } };
    };
    const baselineStopOf: RequestOf = () => ({ method: 'POST', path: `/agents/${nextUser().runningAgentId}/stop` });
    const webhookOf: RequestOf = () => ({ method: 'POST', path: '/api/webhooks/stripe', ...stripeDelivery(nextUser()) });
    const baselineWebhookOf: RequestOf = () => ({ method: 'POST', path: '/webhook', ...stripeDelivery(nextUser()) });
    const listOf: RequestOf = () => ({ method: 'GET', path: '/api/agents', headers: { authorization: `Bearer ${nextUser().token}` } });

    const rows: Row[] = [];
    const run = async (name: string, target: Measured & { backends: () => Promise<number[]> }, url: string, connections: number, requestOf: RequestOf, against?: string) => {
      const figures = await measure(target, url, connections, seconds, requestOf);
      const base = against === undefined ? undefined : rows.find((row) => row.name === against);
      rows.push({ name, ...figures, ratio: base ? figures.requestsPerSecond / base.requestsPerSecond : null });
      process.stderr.write(`  measured ${name}\n`);
    };
    await run('baseline: Express + INSERT + add, c=1', baseline, baselineUrl, 1, baselineStopOf);
    await run('baseline: Express + INSERT + add, c=16', baseline, baselineUrl, 16, baselineStopOf);
    await run('stop, c=1', ingress, ingressUrl, 1, stopOf, 'baseline: Express + INSERT + add, c=1');
    await run('stop, c=16', ingress, ingressUrl, 16, stopOf, 'baseline: Express + INSERT + add, c=16');
    await run('baseline: Express + INSERT, c=1', baseline, baselineUrl, 1, baselineWebhookOf);
    await run('baseline: Express + INSERT, c=32', baseline, baselineUrl, 32, baselineWebhookOf);
    await run('signed Stripe webhook, c=1', ingress, ingressUrl, 1, webhookOf, 'baseline: Express + INSERT, c=1');
    await run('signed Stripe webhook, c=32', ingress, ingressUrl, 32, webhookOf, 'baseline: Express + INSERT, c=32');
    await run('GET /api/agents, c=16', ingress, ingressUrl, 16, listOf, 'baseline: Express + INSERT + add, c=16');
    return rows;
  } finally {
    for (const child of processes.reverse()) await child.stop();
    await database.drop();
    await deleteQueueKeys(queuePrefix);
    if (options.profile) {
      for (const file of readdirSync(profileDir).filter((name) => name.endsWith('.cpuprofile'))) {
        process.stdout.write(`\nIngress CPU profile ${path.relative(root, path.join(profileDir, file))}\n${summarizeProfile(path.join(profileDir, file))}\n`);
      }
    }
  }
}

const fixed = (value: number, digits: number) => (Number.isFinite(value) ? value.toFixed(digits) : '-');

export function ingressTable(rows: Row[]): string {
  const header = ['row', 'req/s', 'p50 ms', 'p99 ms', 'ratio', 'CPU ms/req', 'PostgreSQL CPU ms/req', 'peak RSS MiB', 'non-2xx'];
  const lines = rows.map((row) => [
    row.name,
    fixed(row.requestsPerSecond, 0),
    fixed(row.p50, 1),
    fixed(row.p99, 1),
    row.ratio === null ? '' : `${row.ratio.toFixed(2)}×`,
    fixed(row.cpuMsPerRequest, 3),
    fixed(row.postgresCpuMsPerRequest, 3),
    fixed(row.peakRssMiB, 0),
    String(row.non2xx),
  ]);
  const widths = header.map((_, column) => Math.max(header[column]!.length, ...lines.map((line) => line[column]!.length)));
  const format = (cells: string[]) => `| ${cells.map((cell, column) => (column === 0 ? cell.padEnd(widths[column]!) : cell.padStart(widths[column]!))).join(' | ')} |`;
  return [format(header), `|${widths.map((width, column) => (column === 0 ? `-${'-'.repeat(width)}-` : `-${'-'.repeat(width - 1)}:-`)).join('|')}|`, ...lines.map(format)].join('\n');
}

/** The issue's targets, each met or not, with what is left. */
export function ingressTargets(rows: Row[]): string {
  const row = (name: string) => rows.find((candidate) => candidate.name === name)!;
  const stop = row('stop, c=16');
  const stopBase = row('baseline: Express + INSERT + add, c=16');
  const webhook = row('signed Stripe webhook, c=32');
  const peak = Math.max(...rows.filter((candidate) => !candidate.name.startsWith('baseline')).map((candidate) => candidate.peakRssMiB));
  const checks: [string, boolean, string][] = [
    ['stop c=16 throughput ≥ 0.5× baseline', (stop.ratio ?? 0) >= 0.5, `${(stop.ratio ?? 0).toFixed(2)}×`],
    ['stop c=16 p99 ≤ 3× baseline p99', stop.p99 <= 3 * stopBase.p99, `${stop.p99.toFixed(1)} ms vs ${(3 * stopBase.p99).toFixed(1)} ms`],
    ['signed webhook c=32 ≥ 0.5× Express + INSERT', (webhook.ratio ?? 0) >= 0.5, `${(webhook.ratio ?? 0).toFixed(2)}×`],
    ['ingress CPU per stop ≤ 0.6 ms', stop.cpuMsPerRequest <= 0.6, `${stop.cpuMsPerRequest.toFixed(3)} ms`],
    ['ingress peak RSS ≤ 160 MiB', peak <= 160, `${peak.toFixed(0)} MiB`],
  ];
  return checks.map(([target, met, actual]) => `${met ? 'met   ' : 'MISSED'}  ${target}: ${actual}`).join('\n');
}

export function parseIngressArgs(argv: string[]): IngressBenchOptions {
  const value = (flag: string) => {
    const index = argv.indexOf(flag);
    return index >= 0 ? argv[index + 1] : undefined;
  };
  const seconds = value('--seconds');
  const users = value('--users');
  return { seconds: seconds === undefined ? undefined : Number(seconds), users: users === undefined ? undefined : Number(users), profile: argv.includes('--profile') };
}

export async function printIngressBench(options: IngressBenchOptions): Promise<void> {
  process.stderr.write('ingress benchmark: building, seeding, measuring (about 2 minutes)\n');
  const rows = await runIngressBench(options);
  process.stdout.write(`\nIngress vs bare Express 5 (${options.seconds ?? 10} s a row, ${options.users ?? 2_000} load users, ${os.cpus().length} CPUs)\n${ingressTable(rows)}\n\n${ingressTargets(rows)}\n`);
}

if (require.main === module) {
  printIngressBench(parseIngressArgs(process.argv.slice(2))).catch((error: unknown) => {
    process.stderr.write(`ingress benchmark failed: ${(error as Error).stack ?? String(error)}\n`);
    process.exit(1);
  });
}
