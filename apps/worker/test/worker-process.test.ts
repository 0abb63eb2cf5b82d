import { spawn } from 'node:child_process';
import { simControl, testRedisUrl } from '@agent-lifecycle/testing';
import { addFaults, anAgent, serverActions, startHarness, waitFor, waitForOperation, type Harness } from './support/harness';
import { freePort, startWorkerProcess, type WorkerChild } from './support/worker-process';

let h: Harness;
// No workers of the harness's own: the worker processes here are the ones under test.
beforeAll(async () => {
  h = await startHarness({ workers: false });
});
afterAll(() => h.close());

const started: WorkerChild[] = [];
afterEach(async () => {
  for (const worker of started.splice(0)) {
    if (worker.child.exitCode === null && worker.child.signalCode === null) worker.child.kill('SIGKILL');
    await worker.exited;
  }
});

function workerEnv(overrides: Record<string, string> = {}): Record<string, string> {
  return {
    DATABASE_URL: h.config.databaseUrl,
    REDIS_URL: testRedisUrl,
    QUEUE_PREFIX: h.config.queuePrefix,
    SIM_PORT: String(h.sim.port),
    HETZNER_RATE_LIMIT_PER_HOUR: String(100 * 3600),
    LOG_LEVEL: 'info',
    ...overrides,
  };
}

const isJson = (line: string) => {
  try {
    return typeof JSON.parse(line) === 'object';
  } catch {
    return false;
  }
};

describe('a worker process', () => {
  it('killed between sending a shutdown and recording it, leaves a retry that adopts that action instead of sending another', async () => {
    const agent = await anAgent(h, { status: 'active' });
    // The shutdown request stays in flight for 3 s, then reaches the simulated Hetzner all the same.
    await addFaults(h.sim, [{ method: 'POST', path: '/v1/servers/*/actions/shutdown', latencyMs: 3_000, count: 1 }]);
    const doomed = startWorkerProcess(workerEnv());
    started.push(doomed);
    await doomed.lineMatching(/"msg":"workers started"/);

    const { value } = await h.requests.requestOperation({ userId: agent.userId, agentId: agent.id, kind: 'stop' });
    // Killed once the shutdown reached the simulator, while its answer is held back.
    await waitFor(() => simControl<{ rules: { fired: number }[] }>(h.sim, 'GET', '/faults'), ({ rules }) => rules[0]?.fired === 1, 20_000, 'the shutdown in flight');
    doomed.child.kill('SIGKILL');
    await doomed.exited;
    const step = await h.db.operationStep.findUniqueOrThrow({ where: { operationId_name: { operationId: value.operation.id, name: 'shutdown' } } });
    expect(step.hetznerActionId).toBeNull();
    const sent = await waitFor(() => serverActions(h.sim, agent.serverId!), (actions) => actions.some((action) => action.command === 'shutdown_server'), 10_000, 'the shutdown reaching Hetzner');

    // Another worker takes the job over once BullMQ sees it stalled and the agent lease lapsed.
    const killedAt = Date.now();
    const survivor = startWorkerProcess(workerEnv());
    started.push(survivor);
    const operation = await waitForOperation(h.db, value.operation.id, undefined, 60_000);
    process.stdout.write(`failover: the killed worker's stop finished ${((Date.now() - killedAt) / 1000).toFixed(1)} s after the kill\n`);

    expect(operation.status).toBe('succeeded');
    const shutdowns = (await serverActions(h.sim, agent.serverId!)).filter((action) => action.command === 'shutdown_server');
    expect(shutdowns.map((action) => action.id)).toEqual(sent.filter((action) => action.command === 'shutdown_server').map((action) => action.id));
    const adopted = await h.db.operationStep.findUniqueOrThrow({ where: { operationId_name: { operationId: value.operation.id, name: 'shutdown' } } });
    expect(Number(adopted.hetznerActionId)).toBe(shutdowns[0]!.id);
    expect((await h.db.agent.findUniqueOrThrow({ where: { id: agent.id } })).status).toBe('paused');
  }, 90_000);

  it('waits for Redis before it reports started, says so in its JSON log, and is not ready meanwhile', async () => {
    const redisPort = await freePort();
    const metricsPort = await freePort();
    const worker = startWorkerProcess(workerEnv({ REDIS_URL: `redis://127.0.0.1:${redisPort}`, WORKER_METRICS_PORT: String(metricsPort) }));
    started.push(worker);
    await worker.lineMatching(/Redis is not reachable; workers wait before starting/);
    const readyz = await fetch(`http://127.0.0.1:${metricsPort}/readyz`);
    expect(readyz.status).toBe(503);
    expect(await readyz.json()).toEqual({ status: 'not_ready', down: ['redis', 'workers (starting)'] });
    expect((await fetch(`http://127.0.0.1:${metricsPort}/healthz`)).status).toBe(200);

    const redis = spawn('redis-server', ['--port', String(redisPort), '--bind', '127.0.0.1', '--save', '', '--appendonly', 'no'], { stdio: 'ignore' });
    try {
      await worker.lineMatching(/"msg":"workers started"/, 30_000);
      expect((await fetch(`http://127.0.0.1:${metricsPort}/readyz`)).status).toBe(200);
      expect(worker.lines.filter((line) => /"msg":"workers started"/.test(line))).toHaveLength(1);
      expect(worker.lines.filter((line) => !isJson(line))).toEqual([]);
    } finally {
      worker.child.kill('SIGTERM');
      await worker.exited;
      redis.kill('SIGTERM');
    }
  }, 60_000);
});
