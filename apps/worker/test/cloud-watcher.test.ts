import { registerCloudWait } from '@agent-lifecycle/db';
import { createLeaderLease, createRedisConnection, type JobName, type LeaderLease } from '@agent-lifecycle/jobs';
import { createCloudWatcher, systemClock, type CloudWatcher } from '@agent-lifecycle/lifecycle';
import { createLogger } from '@agent-lifecycle/logger';
import { createHetznerCloud } from '@agent-lifecycle/hetzner';
import { testQueuePrefix, testRedisUrl } from '@agent-lifecycle/testing';
import { aServer, anAgent, callsBetween, requestCounts, simServer, startHarness, waitFor, type Harness } from './support/harness';

let h: Harness;
// No workers: the only watcher polling here is the test's own.
beforeAll(async () => {
  h = await startHarness({ workers: false });
});
// Each test looks at its own waits only.
afterEach(() => h.db.cloudWait.deleteMany());
afterAll(() => h.close());

const logger = createLogger('test', { level: 'silent' });
const alwaysLeading: LeaderLease = { hold: async () => true, release: async () => undefined };

function aWatcher(woken: [JobName, string][], lease = alwaysLeading): CloudWatcher {
  return createCloudWatcher({
    db: h.db,
    cloud: createHetznerCloud({ token: h.config.hetzner.token, endpoint: h.config.hetzner.endpoint }),
    wake: async (name, operationId) => {
      woken.push([name, operationId]);
      return true;
    },
    lease,
    clock: systemClock,
    logger,
    settings: { pollScale: 0.01, budgetPerSecond: 100, pollShare: 0.5 },
  });
}

const simAction = async (serverId: number, command: string): Promise<number> => {
  const response = await fetch(`${h.sim.url}/v1/servers/${serverId}/actions/${command}`, { method: 'POST', headers: { authorization: `Bearer ${h.config.hetzner.token}` } });
  return ((await response.json()) as { action: { id: number } }).action.id;
};

/** An operation parked on a wait, as a job stepping aside leaves it. */
async function parked(agentId: string, kind: 'start' | 'stop', wait: { actionId?: number; serverId?: number; serverStatus?: string }) {
  const operation = await h.db.operation.create({ data: { agentId, kind, source: 'api', status: 'running' } });
  await registerCloudWait(h.db, {
    operationId: operation.id,
    step: kind === 'start' ? 'poweron' : 'guest_off',
    jobName: kind === 'start' ? 'agent.start' : 'agent.stop',
    ...wait,
    agentId,
    deadline: new Date(Date.now() + 60_000),
    nextPollAt: new Date(Date.now() - 1),
  });
  return operation;
}

describe('the cloud watcher', () => {
  it('polls the actions of 60 parked operations in two requests, records how they ended and wakes their jobs', async () => {
    const agents = await Promise.all(Array.from({ length: 60 }, () => anAgent(h, { status: 'paused' })));
    const operations = [];
    for (const agent of agents) operations.push(await parked(agent.id, 'start', { actionId: await simAction(agent.serverId!, 'poweron') }));
    await waitFor(() => simServer(h.sim, agents.at(-1)!.serverId!), (server) => server?.status === 'running', 5_000, 'the last server running');
    const woken: [JobName, string][] = [];
    const before = await requestCounts(h.sim);

    const round = await aWatcher(woken).poll();

    expect(callsBetween(before, await requestCounts(h.sim))).toEqual({ 'GET /v1/actions': 2 });
    expect(round).toEqual({ requests: 2, observed: 60 });
    expect(woken.sort()).toEqual(operations.map((operation): [JobName, string] => ['agent.start', operation.id]).sort());
    const waits = await h.db.cloudWait.findMany({ where: { operationId: { in: operations.map((operation) => operation.id) } } });
    expect(waits.map((wait) => wait.observed)).toEqual(Array(60).fill({ action: { status: 'success', error: null } }));
  });

  it('reads the awaited status of 60 servers from one label-selector list per 50 agents', async () => {
    const agents = await Promise.all(Array.from({ length: 60 }, () => anAgent(h, { status: 'active' })));
    const operations = [];
    for (const agent of agents) operations.push(await parked(agent.id, 'stop', { serverId: agent.serverId!, serverStatus: 'off' }));
    for (const agent of agents) await simAction(agent.serverId!, 'poweroff');
    await waitFor(() => simServer(h.sim, agents.at(-1)!.serverId!), (server) => server?.status === 'off', 5_000, 'the last server off');
    const woken: [JobName, string][] = [];
    const before = await requestCounts(h.sim);

    await aWatcher(woken).poll();

    expect(callsBetween(before, await requestCounts(h.sim))).toEqual({ 'GET /v1/servers': 2 });
    expect(woken).toHaveLength(60);
    const waits = await h.db.cloudWait.findMany({ where: { operationId: { in: operations.map((operation) => operation.id) } } });
    expect(waits.map((wait) => wait.observed)).toEqual(Array(60).fill({ server: { status: 'off' } }));
  });

  it('leaves a wait whose server is not there yet pending, and reads a server without our labels by itself', async () => {
    const stillRunning = await anAgent(h, { status: 'active' });
    const unlabelled = await anAgent(h, { status: 'active', server: false });
    const serverId = await aServer(h.sim, 'someone-else', { name: `unlabelled-${unlabelled.id}`, off: true });
    const pending = await parked(stillRunning.id, 'stop', { serverId: stillRunning.serverId!, serverStatus: 'off' });
    const readAlone = await parked(unlabelled.id, 'stop', { serverId, serverStatus: 'off' });
    const woken: [JobName, string][] = [];
    const before = await requestCounts(h.sim);
    const polledAt = Date.now();

    await aWatcher(woken).poll();

    expect(callsBetween(before, await requestCounts(h.sim))).toEqual({ 'GET /v1/servers': 1, 'GET /v1/servers/{id}': 1 });
    expect(woken).toEqual([['agent.stop', readAlone.id]]);
    const wait = await h.db.cloudWait.findUniqueOrThrow({ where: { operationId: pending.id } });
    expect(wait).toMatchObject({ observed: null, polls: 1 });
    expect(wait.nextPollAt.getTime()).toBeGreaterThan(polledAt);
  });

  it('polls from one worker process at a time: the other waits for the lease', async () => {
    const agent = await anAgent(h, { status: 'paused' });
    const operation = await parked(agent.id, 'start', { actionId: await simAction(agent.serverId!, 'poweron') });
    const redis = createRedisConnection(testRedisUrl, 'worker');
    try {
      const key = `${testQueuePrefix()}:cloud-watcher`;
      const [first, second] = [createLeaderLease({ redis, key, ttlMs: 10_000 }), createLeaderLease({ redis, key, ttlMs: 10_000 })];
      const woken: [JobName, string][] = [];
      const leader = aWatcher(woken, first);
      const follower = aWatcher(woken, second);
      await waitFor(() => simServer(h.sim, agent.serverId!), (server) => server?.status === 'running', 5_000, 'server running');

      expect(await leader.poll()).toEqual({ requests: 1, observed: 1 });
      expect(await follower.poll()).toEqual({ requests: 0, observed: 0 });
      expect(woken).toEqual([['agent.start', operation.id]]);
      // A leader that stops hands over at once.
      await leader.stop();
      await first.release();
      expect(await second.hold()).toBe(true);
    } finally {
      redis.disconnect();
    }
  });
});
