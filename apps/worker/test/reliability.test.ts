import { createLogger } from '@agent-lifecycle/logger';
import { JOB_TABLE, StepAside, createEngine, systemClock, type Cloud, type Engine, type JobContext } from '@agent-lifecycle/lifecycle';
import { createHetznerCloud } from '@agent-lifecycle/hetzner';
import { createTailscaleTailnet } from '@agent-lifecycle/tailscale';
import { createGithubWorkflows } from '@agent-lifecycle/github';
import { defaultEngineSettings } from '../src';
import {
  addFaults,
  anAgent,
  callsBetween,
  clearFaults,
  quickSettings,
  requestCounts,
  serverActions,
  simServer,
  startHarness,
  waitFor,
  waitForOperation,
  type Harness,
} from './support/harness';

let h: Harness;
beforeAll(async () => {
  h = await startHarness();
});
afterEach(() => clearFaults(h.sim));
afterAll(() => h.close());

async function stop(agent: { id: string; userId: string }) {
  const { value } = await h.requests.requestOperation({ userId: agent.userId, agentId: agent.id, kind: 'stop' });
  return value.operation;
}

describe('with faults in the cloud', () => {
  it('retries a 5xx and then succeeds', async () => {
    const agent = await anAgent(h, { status: 'active' });
    await addFaults(h.sim, [{ method: 'POST', path: '/v1/servers/*/actions/shutdown', status: 503, code: 'unavailable', count: 1 }]);
    const before = await requestCounts(h.sim);
    const operation = await waitForOperation(h.db, (await stop(agent)).id);
    expect(operation).toMatchObject({ status: 'succeeded', attempts: 2 });
    expect(callsBetween(before, await requestCounts(h.sim))['POST /v1/servers/{id}/actions/shutdown']).toBe(2);
    expect((await simServer(h.sim, agent.serverId!))?.status).toBe('off');
  });

  it('retries a locked server and then succeeds', async () => {
    const agent = await anAgent(h, { status: 'paused' });
    await addFaults(h.sim, [{ method: 'POST', path: '/v1/servers/*/actions/poweron', status: 423, code: 'locked', count: 1 }]);
    const { value } = await h.requests.requestOperation({ userId: agent.userId, agentId: agent.id, kind: 'start' });
    expect(await waitForOperation(h.db, value.operation.id)).toMatchObject({ status: 'succeeded', attempts: 2 });
    expect((await h.db.agent.findUniqueOrThrow({ where: { id: agent.id } })).status).toBe('active');
  });

  it('fails once with a clear message on a permanent error and leaves the agent as it was', async () => {
    const agent = await anAgent(h, { status: 'paused' });
    await addFaults(h.sim, [{ method: 'POST', path: '/v1/servers/*/actions/poweron', status: 403, code: 'forbidden' }]);
    const before = await requestCounts(h.sim);
    const { value } = await h.requests.requestOperation({ userId: agent.userId, agentId: agent.id, kind: 'start' });
    const operation = await waitForOperation(h.db, value.operation.id);
    expect(operation).toMatchObject({ status: 'failed', attempts: 1, errorCode: 'forbidden' });
    expect(operation.error).toMatch(/forbidden/);
    expect(callsBetween(before, await requestCounts(h.sim))['POST /v1/servers/{id}/actions/poweron']).toBe(1);
    expect(await h.db.agent.findUniqueOrThrow({ where: { id: agent.id } })).toMatchObject({ status: 'paused', leaseOperationId: null });
    const job = await h.workers.jobQueues.getJob('agent.start', operation.id);
    expect(await job?.getState()).toBe('failed');
  });

  it('waits out a 429 until RateLimit-Reset without using up attempts', async () => {
    const agent = await anAgent(h, { status: 'paused' });
    h.sim.configure({ rateLimit: { limit: 3, refillPerSecond: 1 } });
    try {
      // Spend the (simulated project's) bucket with the workers' own token.
      for (let i = 0; i < 4; i += 1) await fetch(`${h.sim.url}/v1/servers`, { headers: { authorization: `Bearer ${h.config.hetzner.token}` } });
      const { value } = await h.requests.requestOperation({ userId: agent.userId, agentId: agent.id, kind: 'start' });
      const operation = await waitForOperation(h.db, value.operation.id, undefined, 30_000);
      expect(operation).toMatchObject({ status: 'succeeded', attempts: 1 });
      const counts = await requestCounts(h.sim);
      const served429 = Object.values(counts).reduce((sum, count) => sum + (count?.byStatus['429'] ?? 0), 0);
      expect(served429).toBeGreaterThan(0);
    } finally {
      h.sim.configure({ rateLimit: { limit: 3600, refillPerSecond: 1 } });
    }
  });
});

describe('crash safety', () => {
  const logger = createLogger('test', { level: 'silent' });
  const job: JobContext = { name: 'agent.stop', attempt: 1, maxAttempts: 5, report: async () => undefined };
  const real = () => createHetznerCloud({ token: h.config.hetzner.token, endpoint: h.config.hetzner.endpoint });
  /** An engine of its own, as a second worker process would have, on the harness's database and queues. */
  const engineWith = (cloud: Cloud) =>
    createEngine({
      db: h.db,
      queue: h.workers.jobQueues,
      cloud,
      tailnet: createTailscaleTailnet({ apiUrl: h.config.tailscale.apiUrl, tailnet: h.config.tailscale.tailnet, apiKey: h.config.tailscale.apiKey }),
      workflows: createGithubWorkflows({ apiUrl: h.config.github.apiUrl, token: h.config.github.token, repo: h.config.github.repo, workflow: h.config.github.workflow }),
      clock: systemClock,
      logger,
      settings: { ...defaultEngineSettings(h.config), ...quickSettings, callbackUrl: 'http://127.0.0.1:1/cb' },
    });
  /** Runs the operation's job again whenever it steps aside (the harness's watcher answers its waits). */
  const runStop = (engine: Engine, operationId: string, attempt = 1) => JOB_TABLE['agent.stop'].handle(engine, { operationId }, { ...job, attempt });
  async function runToTheEnd(engine: Engine, operationId: string, attempt: number): Promise<unknown> {
    for (;;) {
      try {
        return await runStop(engine, operationId, attempt);
      } catch (error) {
        if (!(error instanceof StepAside)) throw error;
        await new Promise((resolve) => setTimeout(resolve, Math.max(0, Math.min(error.until.getTime() - Date.now(), 25))));
      }
    }
  }
  const shutdownStep = (operationId: string) => h.db.operationStep.findUniqueOrThrow({ where: { operationId_name: { operationId, name: 'shutdown' } } });

  it('resumes the stored Hetzner action when a job runs again after its worker died while it waited', async () => {
    const agent = await anAgent(h, { status: 'active' });
    h.sim.configure({ acpiIgnoreRate: 1 });
    try {
      // An operation the queue does not run: only the engine runs below touch it.
      const operation = await h.db.operation.create({ data: { agentId: agent.id, kind: 'stop', source: 'api' } });
      const before = await requestCounts(h.sim);

      // The first worker sends the shutdown, records it, steps aside to wait, and is never heard of again.
      await expect(runStop(engineWith(real()), operation.id)).rejects.toBeInstanceOf(StepAside);
      expect((await shutdownStep(operation.id)).hetznerActionId).not.toBeNull();

      await runToTheEnd(engineWith(real()), operation.id, 2);
      const calls = callsBetween(before, await requestCounts(h.sim));
      expect(calls['POST /v1/servers/{id}/actions/shutdown']).toBe(1);
      expect(calls['POST /v1/servers/{id}/actions/poweroff']).toBe(1);
      expect((await h.db.operation.findUniqueOrThrow({ where: { id: operation.id } })).status).toBe('succeeded');
      expect((await simServer(h.sim, agent.serverId!))?.status).toBe('off');
    } finally {
      h.sim.configure({ acpiIgnoreRate: 0 });
    }
  });

  it('adopts the action a worker sent but died before recording, instead of sending it again', async () => {
    const agent = await anAgent(h, { status: 'active' });
    const operation = await h.db.operation.create({ data: { agentId: agent.id, kind: 'stop', source: 'api' } });
    const cloud = real();
    const diesAfterSending: Cloud = {
      ...cloud,
      shutdown: async (serverId) => {
        await cloud.shutdown(serverId);
        throw new Error('worker process killed');
      },
    };

    await expect(runStop(engineWith(diesAfterSending), operation.id)).rejects.toThrow('worker process killed');
    expect((await shutdownStep(operation.id)).hetznerActionId).toBeNull();
    await runToTheEnd(engineWith(cloud), operation.id, 2);

    const actions = await serverActions(h.sim, agent.serverId!);
    expect(actions.filter((action) => action.command === 'shutdown_server')).toHaveLength(1);
    const adopted = await shutdownStep(operation.id);
    expect(Number(adopted.hetznerActionId)).toBe(actions.find((action) => action.command === 'shutdown_server')?.id);
    expect((await h.db.operation.findUniqueOrThrow({ where: { id: operation.id } })).status).toBe('succeeded');
    expect((await simServer(h.sim, agent.serverId!))?.status).toBe('off');
  });

  it('re-enqueues an operation whose enqueue was lost after the commit', async () => {
    const agent = await anAgent(h, { status: 'active' });
    const lost = await h.db.operation.create({ data: { agentId: agent.id, kind: 'stop', source: 'api', createdAt: new Date(Date.now() - 60_000), updatedAt: new Date(Date.now() - 60_000) } });
    const report = await h.workers.engine.sweep();
    expect(report.requeued).toContain(lost.id);
    expect((await waitForOperation(h.db, lost.id)).status).toBe('succeeded');
    expect((await h.db.agent.findUniqueOrThrow({ where: { id: agent.id } })).status).toBe('paused');
  });

  it('times out a provisioning run that never calls back and rolls it back', async () => {
    const agent = await anAgent(h, { status: 'provisioning', server: false });
    const job = await h.db.provisioningJob.create({ data: { agentId: agent.id, status: 'dispatched', updatedAt: new Date(Date.now() - 3_600_000) } });
    await h.db.operation.create({ data: { agentId: agent.id, kind: 'provision', source: 'api', status: 'running', provisioningJobId: job.id } });
    const report = await h.workers.engine.sweep();
    expect(report.provisioningTimedOut).toEqual([job.id]);
    const rollback = await waitFor(() => h.db.operation.findFirst({ where: { agentId: agent.id, kind: 'rollback' } }), (op) => op?.status === 'succeeded', 20_000, 'rollback');
    expect(rollback?.source).toBe('sweeper');
    expect(await h.db.agent.findUniqueOrThrow({ where: { id: agent.id } })).toMatchObject({ status: 'failed' });
  });
});

describe('ordering', () => {
  it('ends a stop and a destroy requested together with the agent destroyed and no error', async () => {
    const agent = await anAgent(h, { status: 'active', device: true });
    const stopOp = await stop(agent);
    const { value } = await h.requests.requestOperation({ userId: agent.userId, agentId: agent.id, kind: 'destroy' });
    const [stopped, destroyed] = [await waitForOperation(h.db, stopOp.id), await waitForOperation(h.db, value.operation.id)];
    expect(['superseded', 'succeeded']).toContain(stopped.status);
    expect(destroyed.status).toBe('succeeded');
    if (stopped.status === 'succeeded') expect(stopped.finishedAt!.getTime()).toBeLessThanOrEqual(destroyed.startedAt!.getTime());
    expect((await h.db.agent.findUniqueOrThrow({ where: { id: agent.id } })).status).toBe('destroyed');
    expect(await simServer(h.sim, agent.serverId!)).toBeUndefined();
  });

  it('runs the operations of one agent one at a time in creation order, even across two worker processes', async () => {
    const second = await h.startMoreWorkers();
    const agent = await anAgent(h, { status: 'active' });
    const kinds = ['stop', 'start', 'stop', 'start'] as const;
    const created = [];
    for (const [index, kind] of kinds.entries()) {
      created.push(await h.db.operation.create({ data: { agentId: agent.id, kind, source: 'operator', createdAt: new Date(Date.now() + index) } }));
    }
    // Enqueued in reverse, so only the engine's ordering can put them right.
    for (const operation of [...created].reverse()) await h.workers.jobQueues.enqueue(operation.kind === 'stop' ? 'agent.stop' : 'agent.start', operation.id);
    const operations = await Promise.all(created.map((operation) => waitForOperation(h.db, operation.id, undefined, 30_000)));
    expect(operations.map((op) => op.status)).toEqual(['succeeded', 'succeeded', 'succeeded', 'succeeded']);
    for (let i = 1; i < operations.length; i += 1) {
      expect(operations[i]!.startedAt!.getTime()).toBeGreaterThanOrEqual(operations[i - 1]!.finishedAt!.getTime());
    }
    expect((await h.db.agent.findUniqueOrThrow({ where: { id: agent.id } })).status).toBe('active');
    expect((await simServer(h.sim, agent.serverId!))?.status).toBe('running');
    await second.close();
  });
});
