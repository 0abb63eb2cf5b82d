// `npm run bench`: the whole pipeline in one process against the simulator, measured.
// Ingress: latency and throughput of accepted stop requests. Engine: time for every
// operation to finish and Hetzner calls per operation. Memory: peak RSS. Prints a table.
import { execFileSync } from 'node:child_process';
import path from 'node:path';
import pg from 'pg';
import { startCloudSim } from '@agent-lifecycle/cloud-sim';
import { loadConfig } from '@agent-lifecycle/config';
import { createDb } from '@agent-lifecycle/db';
import { startIngress } from '@agent-lifecycle/ingress';
import { createUser } from '@agent-lifecycle/lifecycle';
import { createLogger } from '@agent-lifecycle/logger';
import { startWorkers } from '@agent-lifecycle/worker';

const AGENTS = Number(process.argv[2] ?? 300);
const CONCURRENCY = 20;
const ADMIN_URL = 'postgresql://postgres@127.0.0.1:5432/postgres';
const root = path.resolve(__dirname, '..');

function percentile(sorted: number[], p: number): number {
  return sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))] ?? 0;
}

async function admin(sql: string): Promise<void> {
  const client = new pg.Client({ connectionString: ADMIN_URL });
  await client.connect();
  await client.query(sql);
  await client.end();
}

async function main(): Promise<void> {
  const database = `agent_lifecycle_bench_${Date.now()}`;
  const databaseUrl = ADMIN_URL.replace(/\/postgres$/, `/${database}`);
  await admin(`CREATE DATABASE "${database}"`);
  execFileSync(process.execPath, [path.join(root, 'node_modules/prisma/build/index.js'), 'migrate', 'deploy'], { cwd: root, env: { ...process.env, DATABASE_URL: databaseUrl }, stdio: 'pipe' });

  const callbackSecret = 'bench-callback-secret';
  const sim = await startCloudSim({ callbackSecret, config: { timeScale: 0.001 } });
  const config = loadConfig({
    DATABASE_URL: databaseUrl,
    SIM_PORT: String(sim.port),
    PORT: '0',
    QUEUE_PREFIX: `al-bench-${Date.now()}`,
    GITHUB_CALLBACK_SECRET: callbackSecret,
    STRIPE_WEBHOOK_SECRET: 'whsec_bench',
    BULL_BOARD_PASSWORD: 'bench',
    LOG_LEVEL: 'silent',
  });
  const logger = createLogger('bench', { level: 'silent' });
  const db = createDb(databaseUrl);
  // Separate database clients, as separate processes would have.
  const ingress = await startIngress({ config, logger, host: '127.0.0.1', app: { rateLimit: { limit: 1_000_000 } } });
  const workers = await startWorkers({ config, logger, queues: ['hetzner', 'tailscale', 'github'], settings: { pollScale: 0.01, stopGraceMs: 1_000 } });

  try {
    const { user, token } = await createUser(db, { email: 'bench@example.com' });
    const agentIds: string[] = [];
    for (let i = 0; i < AGENTS; i += 1) {
      const response = await fetch(`${sim.url}/v1/servers`, {
        method: 'POST',
        headers: { authorization: `Bearer ${config.hetzner.token}`, 'content-type': 'application/json' },
        body: JSON.stringify({ name: `bench-${i}`, server_type: 'cx22', image: 'ubuntu-24.04' }),
      });
      const { server } = (await response.json()) as { server: { id: number } };
      const agent = await db.agent.create({ data: { userId: user.id, name: `bench ${i}`, status: 'active', instance: { create: { serverId: BigInt(server.id), status: 'running' } } } });
      agentIds.push(agent.id);
    }
    await new Promise((resolve) => setTimeout(resolve, 500));
    const countsBefore = (await (await fetch(`${sim.url}/_sim/requests`)).json()) as Record<string, { total: number }>;

    const latencies: number[] = [];
    const started = performance.now();
    let next = 0;
    await Promise.all(
      Array.from({ length: CONCURRENCY }, async () => {
        while (next < agentIds.length) {
          const agentId = agentIds[next++]!;
          const t0 = performance.now();
          const response = await fetch(`${ingress.url}/api/agents/${agentId}/stop`, { method: 'POST', headers: { authorization: `Bearer ${token}` } });
          latencies.push(performance.now() - t0);
          if (response.status !== 202) throw new Error(`stop answered ${response.status}: ${await response.text()}`);
        }
      }),
    );
    const acceptedMs = performance.now() - started;
    for (;;) {
      const open = await db.operation.count({ where: { status: { in: ['queued', 'running'] } } });
      if (open === 0) break;
      await new Promise((resolve) => setTimeout(resolve, 50));
    }
    const doneMs = performance.now() - started;
    const countsAfter = (await (await fetch(`${sim.url}/_sim/requests`)).json()) as Record<string, { total: number }>;
    const hetznerCalls = Object.entries(countsAfter)
      .filter(([key]) => key.includes(' /v1/'))
      .reduce((sum, [key, count]) => sum + count.total - (countsBefore[key]?.total ?? 0), 0);
    const succeeded = await db.operation.count({ where: { status: 'succeeded' } });

    latencies.sort((a, b) => a - b);
    const rows: [string, string][] = [
      ['stop requests accepted', `${AGENTS} at concurrency ${CONCURRENCY}`],
      ['ingress throughput', `${((AGENTS / acceptedMs) * 1000).toFixed(0)} req/s`],
      ['202 latency p50 / p95 / p99', `${percentile(latencies, 50).toFixed(1)} / ${percentile(latencies, 95).toFixed(1)} / ${percentile(latencies, 99).toFixed(1)} ms`],
      ['all operations finished', `${(doneMs / 1000).toFixed(1)} s (${succeeded}/${AGENTS} succeeded)`],
      ['engine throughput', `${((AGENTS / doneMs) * 1000).toFixed(1)} stops/s`],
      ['Hetzner calls per stop', (hetznerCalls / AGENTS).toFixed(2)],
      ['peak RSS (all pieces in one process)', `${(process.resourceUsage().maxRSS / 1024).toFixed(0)} MiB`],
    ];
    const width = Math.max(...rows.map(([label]) => label.length));
    process.stdout.write(`\nagent-lifecycle benchmark (simulator timeScale 0.001)\n${rows.map(([label, value]) => `${label.padEnd(width)}  ${value}`).join('\n')}\n`);
  } finally {
    await workers.close({ force: true });
    await ingress.close();
    await sim.close();
    await db.$disconnect();
    await admin(`DROP DATABASE IF EXISTS "${database}" WITH (FORCE)`);
  }
}

main().catch((error) => {
  process.stderr.write(`benchmark failed: ${(error as Error).stack ?? String(error)}\n`);
  process.exit(1);
});
