// `npm start` as an operator runs it, then the README walkthrough command for command
// against it, then Ctrl-C: the product must come up in a minute, do what the README
// says, and leave no process and no port behind within 10 s.
import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import pg from 'pg';
import { adminDatabaseUrl, runId, testQueuePrefix, testRedisUrl } from '@agent-lifecycle/testing';
import { ROOT, eventually, freePort, portFree, processesInGroups, runningPids, sh } from './support/processes';

/**
 * The README's walkthrough, verbatim (checked below). Its second shell knows nothing of
 * this test's ports, database or queue prefix: it sources `.data/sandbox.env` first.
 */
const README = {
  sandboxEnv: 'set -a; . .data/sandbox.env; set +a',
  json: `json() { node -p "JSON.parse(require('fs').readFileSync(0, 'utf8'))$1"; }`,
  fasterCloud: `curl -s -X PUT -H 'content-type: application/json' -d '{"timeScale":0.1}' http://127.0.0.1:$SIM_PORT/_sim/config`,
  listAgents: 'curl -s -H "Authorization: Bearer $TOKEN" http://127.0.0.1:$PORT/api/agents',
  listAgentsCli: 'npm run -s agentctl -- agent list --user demo@example.com',
  pickAgent: `AGENT=$(curl -s -H "Authorization: Bearer $TOKEN" http://127.0.0.1:$PORT/api/agents | json '.agents[0].id')`,
  stop: 'OP=$(curl -s -X POST -H "Authorization: Bearer $TOKEN" http://127.0.0.1:$PORT/api/agents/$AGENT/stop | json .operation.id)',
  showAgent: 'curl -s -H "Authorization: Bearer $TOKEN" http://127.0.0.1:$PORT/api/agents/$AGENT',
  simState: 'curl -s http://127.0.0.1:$SIM_PORT/_sim/state',
  showOperation: 'npm run -s agentctl -- operation show $OP',
  start: 'curl -s -X POST -H "Authorization: Bearer $TOKEN" http://127.0.0.1:$PORT/api/agents/$AGENT/start',
  paymentFailed: 'npm run -s agentctl -- stripe send invoice.payment_failed --customer cus_demo',
  paid: 'npm run -s agentctl -- stripe send invoice.paid --customer cus_demo',
  cancelled: 'npm run -s agentctl -- stripe send customer.subscription.deleted --customer cus_demo',
  boardWithoutCredentials: `curl -s -o /dev/null -w '%{http_code}\\n' http://127.0.0.1:$PORT/admin/queues`,
} as const;

interface AgentJson {
  id: string;
  status: string;
  instance: { serverId: number | null; status: string } | null;
}
interface SimState {
  servers: { id: number; status: string; labels: Record<string, string> }[];
  devices: { hostname: string }[];
}

const SANDBOX_ENV = path.join(ROOT, '.data', 'sandbox.env');

describe('npm start, the README walkthrough, and Ctrl-C', () => {
  let port: number;
  let simPort: number;
  let databaseName: string;
  let env: Record<string, string>;
  let product: ChildProcess | undefined;
  let exited: Promise<number | null>;
  let output = '';
  /** Shell variables the walkthrough sets (TOKEN, AGENT, OP), passed to later commands. */
  const shell: Record<string, string> = {};
  let pids: Record<string, number> = {};
  let earlierSandboxEnv: string | undefined;

  /** The second shell: a login's PATH and HOME, and what the walkthrough set (TOKEN, AGENT, OP). */
  const secondShell = () => ({ PATH: env.PATH ?? '', HOME: env.HOME ?? '/tmp', ...shell });
  /** Runs one README command in the second shell (after its first lines) and returns its stdout. */
  async function run(command: string): Promise<string> {
    const result = await sh(`${README.sandboxEnv}\n${README.json}\n${command}`, secondShell());
    if (result.code !== 0) throw new Error(`\`${command}\` exited ${result.code}: ${result.stderr.trim()}`);
    return result.stdout;
  }
  /** Runs a README assignment (`AGENT=$(…)`) and keeps the variable for the next commands. */
  async function assign(variable: string, command: string): Promise<string> {
    const value = (await run(`${command}\nprintf '%s' "$${variable}"`)).trim();
    shell[variable] = value;
    return value;
  }
  const agents = async () => (JSON.parse(await run(README.listAgents)) as { agents: AgentJson[] }).agents;
  const simState = async () => JSON.parse(await run(README.simState)) as SimState;
  const serverOf = (state: SimState, agentId: string) => state.servers.find((server) => server.labels['agent-id'] === agentId);

  beforeAll(async () => {
    [port, simPort] = [await freePort(), await freePort()];
    databaseName = `al_test_${runId()}_start`;
    const databaseUrl = new URL(adminDatabaseUrl);
    databaseUrl.pathname = `/${databaseName}`;
    env = {
      PATH: process.env.PATH ?? '',
      HOME: process.env.HOME ?? '/tmp',
      CI: 'true',
      DATABASE_URL: databaseUrl.toString(),
      REDIS_URL: testRedisUrl,
      PORT: String(port),
      SIM_PORT: String(simPort),
      QUEUE_PREFIX: testQueuePrefix(),
    };
    // npm start writes the sandbox secrets here; put back an operator's own afterwards.
    earlierSandboxEnv = existsSync(SANDBOX_ENV) ? readFileSync(SANDBOX_ENV, 'utf8') : undefined;
  });

  afterAll(async () => {
    if (product?.pid !== undefined && product.exitCode === null) {
      for (const pid of [product.pid, ...Object.values(pids)]) {
        try {
          process.kill(-pid, 'SIGKILL');
        } catch {
          // Gone already.
        }
      }
      await exited;
    }
    if (earlierSandboxEnv === undefined) rmSync(SANDBOX_ENV, { force: true });
    else writeFileSync(SANDBOX_ENV, earlierSandboxEnv, { mode: 0o600 });
    const admin = new pg.Client({ connectionString: adminDatabaseUrl });
    await admin.connect();
    await admin.query(`DROP DATABASE IF EXISTS "${databaseName}" WITH (FORCE)`);
    await admin.end();
  });

  it('the README shows every command this test runs, verbatim', () => {
    const readme = readFileSync(path.join(ROOT, 'README.md'), 'utf8');
    for (const command of Object.values(README)) expect(readme).toContain(command);
    expect(readme).toContain('npm install && npm start');
  });

  it('starts the whole product, seeds the demo and prints one ready line within 60 s', async () => {
    const started = Date.now();
    // Its own process group, so the test can press "Ctrl-C" on it as a terminal would.
    product = spawn('npm', ['start'], { cwd: ROOT, env, detached: true, stdio: ['ignore', 'pipe', 'pipe'] });
    // 'close' waits for the output too: the product's processes share npm's stdout.
    exited = new Promise((resolve) => product?.once('close', (code) => resolve(code)));
    product.stdout?.setEncoding('utf8').on('data', (chunk: string) => (output += chunk));
    product.stderr?.setEncoding('utf8').on('data', (chunk: string) => (output += chunk));

    await eventually('the ready line', 60_000, async () => {
      if (product?.exitCode !== null) throw new Error(`npm start exited early:\n${output}`);
      return /^agent-lifecycle ready: /m.test(output) ? true : undefined;
    });
    expect(Date.now() - started).toBeLessThan(60_000);

    const readyLines = output.split('\n').filter((line) => line.startsWith('agent-lifecycle ready:'));
    expect(readyLines).toEqual([`agent-lifecycle ready: API http://127.0.0.1:${port}, Bull Board http://127.0.0.1:${port}/admin/queues, simulator http://127.0.0.1:${simPort}/_sim/state (Ctrl-C stops everything)`]);
    expect(output).toMatch(/^\[start\] migrations applied: \d{14}_init/m);
    expect(output).toMatch(/^ {2}Demo user {5}demo@example\.com, Stripe customer cus_demo, agents: 3 active$/m);
    expect(output).toMatch(/^ {2}Generated {5}.*STRIPE_WEBHOOK_SECRET=whsec_[A-Za-z0-9]{32}\b/m);
    expect(output).toContain('  Other shells  set -a; . .data/sandbox.env; set +a');
    expect(output).toMatch(/^\[ingress\] /m);
    expect(output).toMatch(/^\[worker\] /m);
    expect(output).toMatch(/^\[sim\] /m);

    shell.TOKEN = /export TOKEN=(al_\S+)/.exec(output)?.[1] ?? '';
    expect(shell.TOKEN).toMatch(/^al_/);
    const processes = /^ {2}Processes\s+(.+)$/m.exec(output)?.[1] ?? '';
    pids = Object.fromEntries(processes.split(' ').map((pair) => pair.split('=')).map(([name, pid]) => [name, Number(pid)]));
    expect(Object.keys(pids).sort()).toEqual(['ingress', 'sim', 'start', 'worker']);
  }, 75_000);

  it('leaves in .data/sandbox.env everything a second shell needs to reach this sandbox', async () => {
    const sourced = JSON.parse(await run(`node -e 'process.stdout.write(JSON.stringify(process.env))'`)) as Record<string, string>;
    expect(sourced).toMatchObject({
      DATABASE_URL: env.DATABASE_URL,
      REDIS_URL: env.REDIS_URL,
      QUEUE_PREFIX: env.QUEUE_PREFIX,
      PORT: String(port),
      PUBLIC_URL: `http://127.0.0.1:${port}`,
      SIM_PORT: String(simPort),
      STRIPE_WEBHOOK_SECRET: /STRIPE_WEBHOOK_SECRET=(\S+)/.exec(output)?.[1],
      BULL_BOARD_PASSWORD: /BULL_BOARD_PASSWORD=(\S+)/.exec(output)?.[1],
      GITHUB_CALLBACK_SECRET: /GITHUB_CALLBACK_SECRET=(\S+)/.exec(output)?.[1],
    });
  });

  it('walkthrough: lists the demo agents, each provisioned in the simulator', async () => {
    await run(README.fasterCloud);
    const listed = await agents();
    expect(listed.map((agent) => agent.status)).toEqual(['active', 'active', 'active']);
    const state = await simState();
    for (const agent of listed) {
      expect(serverOf(state, agent.id)).toMatchObject({ id: agent.instance?.serverId, status: 'running' });
      expect(state.devices.map((device) => device.hostname)).toContain(`agent-${agent.id}`);
    }
    const table = await run(README.listAgentsCli);
    expect(table.split('\n').filter((line) => / demo-agent-\d +active +demo@example\.com /.test(line))).toHaveLength(3);
  });

  it('walkthrough: stops one agent to paused, in the API and in the simulator, with its steps visible; starts it again', async () => {
    const agentId = await assign('AGENT', README.pickAgent);
    const operationId = await assign('OP', README.stop);
    expect(operationId).toMatch(/^c\w+$/);

    const paused = await eventually('the agent to be paused', 30_000, async () => {
      const { agent } = JSON.parse(await run(README.showAgent)) as { agent: AgentJson };
      return agent.status === 'paused' ? agent : undefined;
    });
    expect(paused.instance?.status).toBe('stopped');
    expect(serverOf(await simState(), agentId)?.status).toBe('off');
    const steps = await run(README.showOperation);
    expect(steps).toMatch(/^Status\s+succeeded$/m);
    expect(steps).toMatch(/^shutdown\s+succeeded\s+\d+\s/m);

    await run(README.start);
    await eventually('the agent to be active again', 30_000, async () => {
      const { agent } = JSON.parse(await run(README.showAgent)) as { agent: AgentJson };
      return agent.status === 'active' ? agent : undefined;
    });
    expect(serverOf(await simState(), agentId)?.status).toBe('running');
  }, 75_000);

  it('walkthrough: a failed payment suspends every agent, a paid invoice brings them back', async () => {
    expect(await run(README.paymentFailed)).toMatch(/^Answer\s+200 \{"received":true\}$/m);
    await eventually('every agent suspended', 30_000, async () => ((await agents()).every((agent) => agent.status === 'suspended') ? true : undefined));
    expect((await simState()).servers.map((server) => server.status)).toEqual(['off', 'off', 'off']);

    await run(README.paid);
    await eventually('every agent active again', 30_000, async () => ((await agents()).every((agent) => agent.status === 'active') ? true : undefined));
    expect((await simState()).servers.map((server) => server.status)).toEqual(['running', 'running', 'running']);
  }, 75_000);

  it('walkthrough: a cancelled subscription destroys every agent, leaving no server and no device', async () => {
    await run(README.cancelled);
    await eventually('every agent destroyed', 30_000, async () => ((await agents()).every((agent) => agent.status === 'destroyed') ? true : undefined));
    const state = await eventually('servers and devices gone', 10_000, async () => {
      const current = await simState();
      return current.servers.length === 0 && current.devices.length === 0 ? current : undefined;
    });
    expect(state).toMatchObject({ servers: [], devices: [] });
  }, 60_000);

  it('walkthrough: Bull Board answers 401 without the operator credentials and 200 with the printed ones', async () => {
    expect((await run(README.boardWithoutCredentials)).trim()).toBe('401');
    const password = /BULL_BOARD_PASSWORD=(\S+)/.exec(output)?.[1] ?? '';
    const response = await fetch(`http://127.0.0.1:${port}/admin/queues`, { headers: { authorization: `Basic ${Buffer.from(`operator:${password}`).toString('base64')}` } });
    expect(response.status).toBe(200);
  });

  it('Ctrl-C stops every process of the product within 10 s and frees its ports', async () => {
    const npmPid = product?.pid ?? 0;
    const groups = [npmPid, ...Object.values(pids)];
    expect(await runningPids(Object.values(pids))).toEqual(Object.values(pids));

    const pressed = Date.now();
    process.kill(-npmPid, 'SIGINT');
    // npm itself exits at once; the product's processes (start, sim, ingress, worker and
    // anything they started, each in a process group of its own) must follow.
    const gone = await eventually('no process of the product left', 10_000, async () =>
      (await processesInGroups(groups)).length === 0 && (await runningPids(Object.values(pids))).length === 0 ? true : undefined,
    );
    const elapsed = Date.now() - pressed;
    await exited;

    expect(gone).toBe(true);
    expect(elapsed).toBeLessThan(10_000);
    expect(output).toMatch(/^\[start\] stopped in \d+\.\d s$/m);
    expect(await portFree(port)).toBe(true);
    expect(await portFree(simPort)).toBe(true);
  }, 20_000);
});
