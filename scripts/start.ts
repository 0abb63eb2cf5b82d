// `npm start`: the whole product on one machine. Checks (or starts) Redis and PostgreSQL,
// migrates, runs the simulator (sandbox), the ingress and the workers as child processes,
// seeds the sandbox demo, prints where everything is, and stops it all on Ctrl-C.
import path from 'node:path';
import { ConfigError, SANDBOX_ENV_FILE, childEnvironment, generatedSecretValues, loadConfig, writeSandboxEnvironment, type Config } from '@agent-lifecycle/config';
import { createDb } from '@agent-lifecycle/db';
import { applyMigrations, ensureDatabase } from './start/database';
import { DEMO_CUSTOMER, DEMO_EMAIL, prepareDemo, type Demo } from './start/demo';
import { createLineWriter } from './start/log-lines';
import { portFree, waitForHttp } from './start/net';
import { StartupError, ensurePostgres, ensureRedis } from './start/services';
import { Supervisor, type ChildSpec } from './start/supervisor';

const rootDir = path.resolve(__dirname, '..');
/** Everything must be gone within 10 s of Ctrl-C; leave a margin for our own exit. */
const STOP_DEADLINE_MS = 8_000;

const USAGE = `Usage: npm start [-- --fresh]

Runs the whole product: the simulator (sandbox only), the ingress and the workers.
  --fresh   sandbox only: drop and recreate the database, then seed the demo again`;

const colorize = Boolean(process.stdout.isTTY);
const write = createLineWriter(process.stdout, colorize);
const say = (message: string) => write('start', message);

let exitCode = 0;
let stopping: Promise<void> | undefined;
const supervisor = new Supervisor(write, (child, code, signal) => {
  say(`${child.spec.name} exited unexpectedly (${signal ? `signal ${signal}` : `exit code ${code}`}); stopping everything`);
  void shutdown('SIGTERM', 1);
});

function shutdown(signal: NodeJS.Signals, code: number): Promise<void> {
  exitCode = Math.max(exitCode, code);
  stopping ??= (async () => {
    const started = Date.now();
    const running = Object.keys(supervisor.pids());
    if (running.length > 0) {
      say(`stopping (${signal}): ${running.join(', ')}`);
      await supervisor.stopAll(signal, STOP_DEADLINE_MS);
      say(`stopped in ${((Date.now() - started) / 1000).toFixed(1)} s`);
    }
    process.exit(exitCode);
  })();
  return stopping;
}

let firstSignalAt = 0;

function onSignal(signal: NodeJS.Signals): void {
  // The same Ctrl-C can arrive twice (from the terminal and relayed by tsx's wrapper):
  // only a signal a moment later means "stop waiting, kill them".
  if (stopping && Date.now() - firstSignalAt < 1_000) return;
  if (stopping) {
    say(`${signal} again: killing everything now`);
    for (const pid of Object.values(supervisor.pids())) {
      try {
        process.kill(-pid, 'SIGKILL');
      } catch {
        // Already gone.
      }
    }
    process.exit(130);
  }
  firstSignalAt = Date.now();
  void shutdown(signal, 0);
}

function fail(message: string): never {
  process.stderr.write(`${message}\n`);
  process.exit(1);
}

function app(name: string, entry: string, args: string[], env: Record<string, string>): ChildSpec {
  return { name, role: 'app', command: process.execPath, args: ['--import', 'tsx', path.join(rootDir, entry), ...args], env, cwd: rootDir };
}

async function startProduct(config: Config, fresh: boolean): Promise<void> {
  const sandbox = config.mode === 'sandbox';
  const env = childEnvironment(config, { DATABASE_URL: config.databaseUrl });
  const abandoned = () => stopping !== undefined;

  await ensureRedis(config.redisUrl, { rootDir, supervisor, env, say });
  await ensurePostgres(config.databaseUrl, { rootDir, supervisor, env, say });
  const database = await ensureDatabase(config.databaseUrl, { fresh });
  if (database !== 'exists') say(`database ${new URL(config.databaseUrl).pathname.slice(1)} ${database}`);
  say(await applyMigrations(rootDir, env));

  for (const [variable, port] of [['PORT', config.port], ...(sandbox ? [['SIM_PORT', config.simPort]] : [])] as [string, number][]) {
    if (!(await portFree(port))) throw new StartupError(`Port ${port} (${variable}) is already in use (another npm start?); stop that or set ${variable} to a free port.`);
  }

  const simUrl = `http://127.0.0.1:${config.simPort}`;
  if (sandbox) {
    writeSandboxEnvironment(rootDir, config);
    supervisor.spawn(app('sim', 'apps/cloud-sim/src/main.ts', [], env));
    if (!(await waitForHttp(`${simUrl}/_sim/state`, 30_000, abandoned))) throw new StartupError('The simulator did not answer within 30 s; see the [sim] lines above.');
  }
  supervisor.spawn(app('ingress', 'apps/ingress/src/main.ts', [], env));
  supervisor.spawn(app('worker', 'apps/worker/src/main.ts', [], env));
  const apiUrl = `http://127.0.0.1:${config.port}`;
  if (!(await waitForHttp(`${apiUrl}/readyz`, 30_000, abandoned))) {
    if (abandoned()) return;
    throw new StartupError('The ingress was not ready within 30 s; see the [ingress] lines above.');
  }

  let demo: Demo | undefined;
  if (sandbox) {
    const db = createDb(config.databaseUrl, { poolSize: 2 });
    try {
      demo = await prepareDemo({ db, apiUrl, say, abandoned });
    } finally {
      await db.$disconnect();
    }
  }
  if (abandoned()) return;
  printSummary(config, apiUrl, simUrl, demo);
}

function printSummary(config: Config, apiUrl: string, simUrl: string, demo: Demo | undefined): void {
  const sandbox = config.mode === 'sandbox';
  const board = `${apiUrl}/admin/queues`;
  const lines = [
    '',
    sandbox ? `agent-lifecycle in sandbox mode: Hetzner, Tailscale and GitHub are the simulator at ${simUrl}` : 'agent-lifecycle in production mode (real Hetzner, Tailscale, GitHub)',
    `  API           ${apiUrl}/api/agents   (Authorization: Bearer <token>)`,
    `  Bull Board    ${board}   (user ${config.bullBoard.user}${config.generatedSecrets.includes('BULL_BOARD_PASSWORD') ? `, password ${config.bullBoard.password}` : ', password from BULL_BOARD_PASSWORD'})`,
    ...(sandbox ? [`  Simulator     ${simUrl}/_sim/state`] : []),
    `  Webhooks      ${config.publicUrl}/api/webhooks/stripe, ${config.publicUrl}/api/webhooks/github`,
  ];
  if (demo) {
    const agents = Object.entries(demo.agents).map(([status, count]) => `${count} ${status}`).join(', ') || 'no agents';
    lines.push(`  Demo user     ${DEMO_EMAIL}, Stripe customer ${DEMO_CUSTOMER}, agents: ${agents}`);
    if (demo.token) lines.push(`  Demo token    export TOKEN=${demo.token}`);
  }
  if (config.generatedSecrets.length > 0) {
    const generated = Object.entries(generatedSecretValues(config)).map(([name, value]) => `${name}=${value}`);
    lines.push(`  Generated     ${generated.join(' ')}`);
    lines.push('                (for this run only; also in .data/sandbox.env)');
  }
  if (sandbox) lines.push(`  Other shells  set -a; . ${SANDBOX_ENV_FILE}; set +a   (this sandbox's addresses, queue prefix and generated secrets)`);
  lines.push(`  Processes     ${Object.entries({ start: process.pid, ...supervisor.pids() }).map(([name, pid]) => `${name}=${pid}`).join(' ')}`);
  for (const note of demo?.notes ?? []) lines.push(`  Note          ${note}`);
  lines.push('');
  process.stdout.write(`${lines.join('\n')}\n`);
  const simulator = sandbox ? `, simulator ${simUrl}/_sim/state` : '';
  process.stdout.write(`agent-lifecycle ready: API ${apiUrl}, Bull Board ${board}${simulator} (Ctrl-C stops everything)\n`);
}

async function main(): Promise<void> {
  const args = process.argv.slice(2);
  if (args.includes('--help') || args.includes('-h')) {
    process.stdout.write(`${USAGE}\n`);
    return;
  }
  const unknown = args.filter((arg) => arg !== '--fresh');
  if (unknown.length > 0) fail(`npm start: unknown argument ${unknown[0]} (see npm start -- --help)`);
  const fresh = args.includes('--fresh');

  let config: Config;
  try {
    config = loadConfig();
  } catch (error) {
    if (error instanceof ConfigError) fail(error.message);
    throw error;
  }
  if (fresh && config.mode !== 'sandbox') fail('npm start: --fresh drops the database and is refused outside the sandbox.');

  process.on('SIGINT', () => onSignal('SIGINT'));
  process.on('SIGTERM', () => onSignal('SIGTERM'));
  say(`starting in ${config.mode} mode (LOG_LEVEL=${config.logLevel}, queue prefix ${config.queuePrefix})`);
  try {
    await startProduct(config, fresh);
  } catch (error) {
    if (stopping) return;
    process.stderr.write(`${error instanceof StartupError ? error.message : `npm start failed: ${error instanceof Error ? error.message : String(error)}`}\n`);
    await shutdown('SIGTERM', 1);
  }
}

void main();
