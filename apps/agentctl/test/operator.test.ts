import { JobQueues, createRedisConnection } from '@agent-lifecycle/jobs';
import { JOB_TABLE } from '@agent-lifecycle/lifecycle';
import { createTestDatabase, testQueuePrefix, testRedisUrl, type TestDatabase } from '@agent-lifecycle/testing';
import { aUser, anAgent, anOperation } from './support/builders';
import { agentctl, cliEnvironment, linesOf } from './support/run-cli';

interface OperationJson {
  id: string;
  agentId: string;
  kind: string;
  source: string;
  status: string;
}

describe('agentctl as the operator acts', () => {
  let database: TestDatabase;
  let env: Record<string, string>;
  let redis: ReturnType<typeof createRedisConnection>;
  let queues: JobQueues;

  beforeAll(async () => {
    database = await createTestDatabase();
    const prefix = testQueuePrefix();
    env = cliEnvironment({ DATABASE_URL: database.url, QUEUE_PREFIX: prefix });
    redis = createRedisConnection(testRedisUrl, 'worker');
    queues = new JobQueues({ connection: redis, prefix, jobs: JOB_TABLE });
  });

  afterAll(async () => {
    await Promise.all(Object.values(queues.queues).map((queue) => queue.obliterate({ force: true })));
    await queues.close();
    redis.disconnect();
    await database.drop();
  });

  describe('agent stop|start|destroy', () => {
    it('stops an active agent as an operator: a queued stop sourced "operator", audited with who did it, its job in line', async () => {
      const agent = await anAgent(database.db, await aUser(database.db), { status: 'active', serverId: 9100 });

      const { code, stdout, stderr } = await agentctl(['agent', 'stop', agent.id, '--json'], env);

      expect({ code, stderr }).toEqual({ code: 0, stderr: '' });
      const { operation } = JSON.parse(stdout) as { operation: OperationJson };
      expect(operation).toMatchObject({ agentId: agent.id, kind: 'stop', source: 'operator', status: 'queued' });
      const audit = await database.db.auditEntry.findFirst({ where: { operationId: operation.id, action: 'operation.stop.accepted' } });
      expect(audit).toMatchObject({ agentId: agent.id, source: 'operator', actor: expect.stringMatching(/^agentctl:\S+$/) });
      expect(await (await queues.getJob('agent.stop', operation.id))?.getState()).toBe('waiting');
    });

    it('starts a paused agent and destroys another, each as one operator operation, and says how to follow it', async () => {
      const owner = await aUser(database.db);
      const paused = await anAgent(database.db, owner, { status: 'paused', serverId: 9200 });
      const doomed = await anAgent(database.db, owner, { status: 'active', serverId: 9201 });
      const pendingStop = await anOperation(database.db, doomed, { kind: 'stop', status: 'queued' });

      const [start, destroy] = await Promise.all([agentctl(['agent', 'start', paused.id], env), agentctl(['agent', 'destroy', doomed.id, '--json'], env)]);

      expect(start.code).toBe(0);
      const started = await database.db.operation.findFirstOrThrow({ where: { agentId: paused.id, kind: 'start' } });
      expect(started).toMatchObject({ source: 'operator', status: 'queued' });
      expect(linesOf(start.stdout)).toContain(`Follow it with: agentctl operation show ${started.id}`);

      expect(destroy.code).toBe(0);
      const { operation } = JSON.parse(destroy.stdout) as { operation: OperationJson };
      expect(operation).toMatchObject({ kind: 'destroy', source: 'operator' });
      expect((await database.db.agent.findUniqueOrThrow({ where: { id: doomed.id } })).status).toBe('destroying');
      // The same rules as a user's destroy: pending power changes are superseded.
      expect((await database.db.operation.findUniqueOrThrow({ where: { id: pendingStop.id } })).status).toBe('superseded');
    });

    it("refuses what the agent's status forbids and an unknown agent: exit 1, one line, nothing recorded", async () => {
      const paused = await anAgent(database.db, await aUser(database.db), { status: 'paused', serverId: 9300 });
      const [stop, unknown] = await Promise.all([agentctl(['agent', 'stop', paused.id], env), agentctl(['agent', 'destroy', 'cnotanagent000000000000', '--json'], env)]);
      expect({ code: stop.code, stdout: stop.stdout, stderr: linesOf(stop.stderr) }).toEqual({ code: 1, stdout: '', stderr: ['The agent is paused; only an active agent can be stopped.'] });
      expect({ code: unknown.code, stdout: unknown.stdout, stderr: linesOf(unknown.stderr) }).toEqual({ code: 1, stdout: '', stderr: ['No agent cnotanagent000000000000.'] });
      expect(await database.db.operation.count({ where: { agentId: paused.id } })).toBe(0);
    });
  });

  describe('user list', () => {
    it('lists users with their Stripe customer, latest subscription status, live agents and tokens', async () => {
      const billed = await aUser(database.db, { email: 'billed@example.com', stripeCustomerId: 'cus_billed' });
      await database.db.subscription.create({ data: { id: 'sub_billed_old', userId: billed.id, status: 'active', lastEventAt: new Date('2026-01-01T00:00:00Z') } });
      await database.db.subscription.create({ data: { id: 'sub_billed', userId: billed.id, status: 'past_due', lastEventAt: new Date('2026-02-01T00:00:00Z') } });
      await anAgent(database.db, billed, { status: 'suspended' });
      await anAgent(database.db, billed, { status: 'destroyed' });

      const [json, table] = await Promise.all([agentctl(['user', 'list', '--json'], env), agentctl(['user', 'list'], env)]);

      expect(json.code).toBe(0);
      const { users } = JSON.parse(json.stdout) as { users: { email: string; stripeCustomerId: string | null; subscription: { id: string; status: string } | null; liveAgents: number; tokens: number }[] };
      expect(users.find((user) => user.email === 'billed@example.com')).toMatchObject({
        stripeCustomerId: 'cus_billed',
        subscription: { id: 'sub_billed', status: 'past_due' },
        liveAgents: 1,
        tokens: 1,
      });
      expect(table.code).toBe(0);
      const [header, ...rows] = linesOf(table.stdout);
      expect(header?.split(/\s{2,}/)).toEqual(['EMAIL', 'STRIPE CUSTOMER', 'SUBSCRIPTION', 'LIVE AGENTS', 'TOKENS', 'CREATED', 'ID']);
      expect(rows.find((row) => row.startsWith('billed@example.com'))?.split(/\s{2,}/).slice(0, 5)).toEqual(['billed@example.com', 'cus_billed', 'past_due', '1', '1']);
    });
  });

  describe('queue stats|pause|resume', () => {
    it('shows the depth of every queue, pauses one for every worker and resumes it', async () => {
      // No job of the table runs on the tailscale queue today: any job there shows in its counts.
      await queues.queues.tailscale.add('queue-stats-probe', {});

      const paused = await agentctl(['queue', 'pause', 'tailscale'], env);
      expect({ code: paused.code, stderr: paused.stderr }).toEqual({ code: 0, stderr: '' });
      expect(linesOf(paused.stdout)).toEqual(['Queue tailscale is paused: no worker takes a new job until `agentctl queue resume tailscale`.']);
      expect(await queues.queues.tailscale.isPaused()).toBe(true);

      const stats = await agentctl(['queue', 'stats', '--json'], env);
      expect(stats.code).toBe(0);
      const { queues: listed } = JSON.parse(stats.stdout) as { queues: { name: string; paused: boolean; counts: Record<string, number> }[] };
      expect(listed.map((queue) => queue.name)).toEqual(['hetzner', 'tailscale', 'github', 'maintenance']);
      expect(listed.find((queue) => queue.name === 'tailscale')).toMatchObject({ paused: true, counts: { waiting: 1, active: 0 } });
      expect(listed.find((queue) => queue.name === 'hetzner')).toMatchObject({ paused: false });

      const table = await agentctl(['queue', 'stats'], env);
      expect(linesOf(table.stdout).find((line) => line.startsWith('tailscale'))?.split(/\s{2,}/).slice(0, 3)).toEqual(['tailscale', 'paused', '1']);

      const resumed = await agentctl(['queue', 'resume', 'tailscale', '--json'], env);
      expect(JSON.parse(resumed.stdout)).toEqual({ queue: { name: 'tailscale', paused: false, wasPaused: true } });
      expect(await queues.queues.tailscale.isPaused()).toBe(false);
    });
  });
});
