import { authenticate } from '@agent-lifecycle/lifecycle';
import { createTestDatabase, testQueuePrefix, type TestDatabase } from '@agent-lifecycle/testing';
import { aUser, anAgent, anOperation } from './support/builders';
import { runProcess } from '@agent-lifecycle/testing';
import { agentctl, cliEnvironment, linesOf, ROOT } from './support/run-cli';

describe('agentctl against a real database', () => {
  let database: TestDatabase;
  let env: Record<string, string>;

  beforeAll(async () => {
    database = await createTestDatabase();
    env = cliEnvironment({ DATABASE_URL: database.url, QUEUE_PREFIX: testQueuePrefix() });
  });

  afterAll(async () => {
    await database.drop();
  });

  describe('users and tokens', () => {
    it('creates a user with a Stripe customer and prints a token that authenticates them', async () => {
      const { code, stdout, stderr } = await agentctl(['user', 'create', '--email', 'Ops@Example.com', '--stripe-customer', 'cus_ops', '--json'], env);
      expect({ code, stderr }).toEqual({ code: 0, stderr: '' });
      const output = JSON.parse(stdout) as { user: { id: string; email: string; stripeCustomerId: string }; token: string };
      expect(output.user).toMatchObject({ email: 'ops@example.com', stripeCustomerId: 'cus_ops' });
      expect((await authenticate(database.db, output.token))?.id).toBe(output.user.id);
    });

    it('refuses a second user with the same email: exit 1 and one line', async () => {
      await aUser(database.db, { email: 'taken@example.com' });
      const { code, stdout, stderr } = await agentctl(['user', 'create', '--email', 'taken@example.com'], env);
      expect(code).toBe(1);
      expect(stdout).toBe('');
      expect(linesOf(stderr)).toEqual(['A user with that email or Stripe customer already exists.']);
    });

    it('issues a new token by email, shown once in the table, and exit 1 for an unknown email', async () => {
      const user = await aUser(database.db, { email: 'again@example.com' });
      const [issued, unknown] = await Promise.all([
        agentctl(['user', 'token', '--email', 'again@example.com'], env),
        agentctl(['user', 'token', '--email', 'nobody@example.com', '--json'], env),
      ]);
      expect(issued.code).toBe(0);
      const token = linesOf(issued.stdout).at(-1) ?? '';
      expect(token).toMatch(/^al_/);
      expect((await authenticate(database.db, token))?.id).toBe(user.id);
      expect(unknown.code).toBe(1);
      expect(unknown.stdout).toBe('');
      expect(linesOf(unknown.stderr)).toEqual(['No user with email nobody@example.com.']);
    });
  });

  describe('agents and operations', () => {
    it('lists agents by user and status, as a table and as pure JSON through npm', async () => {
      const owner = await aUser(database.db, { email: 'fleet@example.com' });
      const running = await anAgent(database.db, owner, { name: 'fleet-running', status: 'active', serverId: 7001 });
      await anAgent(database.db, owner, { name: 'fleet-paused', status: 'paused', serverId: 7002 });
      await anAgent(database.db, await aUser(database.db), { name: 'someone-else', status: 'active' });

      const [table, json] = await Promise.all([
        agentctl(['agent', 'list', '--user', 'fleet@example.com'], env),
        runProcess('npm', ['run', '-s', 'agentctl', '--', 'agent', 'list', '--user', 'fleet@example.com', '--status', 'active', '--json'], { cwd: ROOT, env }),
      ]);
      expect(table.code).toBe(0);
      const [header, ...rows] = linesOf(table.stdout);
      expect(header?.split(/\s{2,}/)).toEqual(['ID', 'NAME', 'STATUS', 'USER', 'SERVER', 'DEVICE', 'IPV4', 'CREATED']);
      expect(rows.map((row) => row.split(/\s{2,}/).slice(1, 5))).toEqual([
        ['fleet-running', 'active', 'fleet@example.com', '7001'],
        ['fleet-paused', 'paused', 'fleet@example.com', '7002'],
      ]);

      expect(json.code).toBe(0);
      const parsed = JSON.parse(json.stdout) as { agents: { id: string; status: string; instance: { serverId: number; tailscaleDeviceId: string } }[] };
      expect(parsed.agents.map((agent) => agent.id)).toEqual([running.id]);
      expect(parsed.agents[0]?.instance).toMatchObject({ serverId: 7001, tailscaleDeviceId: 'ts-7001' });
    });

    it('shows an agent with its instance and recent operations; an unknown id is exit 1', async () => {
      const agent = await anAgent(database.db, await aUser(database.db), { name: 'shown', status: 'paused', serverId: 7100 });
      const stop = await anOperation(database.db, agent, { kind: 'stop', status: 'succeeded', attempts: 1 });
      const [shown, unknown] = await Promise.all([agentctl(['agent', 'show', agent.id], env), agentctl(['agent', 'show', 'cnotanagent000000000000', '--json'], env)]);
      expect(shown.code).toBe(0);
      expect(shown.stdout).toMatch(/^Status\s+paused$/m);
      expect(shown.stdout).toMatch(/^Instance\s+server 7100 · device ts-7100 \(agent-\S+\) · 198\.18\.0\.9 \[stopped\]$/m);
      expect(shown.stdout).toMatch(new RegExp(`^${stop.id}\\s+stop\\s+api\\s+succeeded\\s+1\\s`, 'm'));
      expect({ code: unknown.code, stdout: unknown.stdout, stderr: linesOf(unknown.stderr) }).toEqual({ code: 1, stdout: '', stderr: ['No agent cnotanagent000000000000.'] });
    });

    it("lists an agent's operations by status, newest first", async () => {
      const agent = await anAgent(database.db, await aUser(database.db), { serverId: 7200 });
      const failed = await anOperation(database.db, agent, { kind: 'stop', status: 'failed', error: 'Hetzner said no' });
      await anOperation(database.db, agent, { kind: 'start', status: 'succeeded' });
      const { code, stdout } = await agentctl(['operation', 'list', '--agent', agent.id, '--status', 'failed', '--json'], env);
      expect(code).toBe(0);
      const { operations } = JSON.parse(stdout) as { operations: { id: string; status: string; error: string }[] };
      expect(operations).toEqual([expect.objectContaining({ id: failed.id, status: 'failed', error: 'Hetzner said no' })]);
    });

    it('shows the steps of an operation with their Hetzner action ids, and its error; an unknown id is exit 1', async () => {
      const agent = await anAgent(database.db, await aUser(database.db), { serverId: 7300 });
      const operation = await anOperation(database.db, agent, {
        kind: 'stop',
        status: 'failed',
        attempts: 8,
        errorCode: 'server_locked',
        error: 'Hetzner server 7300 is locked by another action',
        steps: [
          { name: 'shutdown', status: 'succeeded', hetznerActionId: 410000042, detail: 'action 410000042 succeeded' },
          { name: 'poweroff', status: 'failed', hetznerActionId: 410000043, detail: 'locked' },
        ],
      });
      const [shown, json, unknown] = await Promise.all([
        agentctl(['operation', 'show', operation.id], env),
        agentctl(['operation', 'show', operation.id, '--json'], env),
        agentctl(['operation', 'show', 'cnotanoperation00000000'], env),
      ]);
      expect(shown.code).toBe(0);
      expect(shown.stdout).toMatch(/^Error\s+server_locked: Hetzner server 7300 is locked by another action$/m);
      expect(shown.stdout).toMatch(/^shutdown\s+succeeded\s+410000042\s/m);
      expect(shown.stdout).toMatch(/^poweroff\s+failed\s+410000043\s.*locked$/m);
      const view = (JSON.parse(json.stdout) as { operation: { attempts: number; steps: { name: string; hetznerActionId: number }[] } }).operation;
      expect(view.attempts).toBe(8);
      expect(view.steps.map((step) => [step.name, step.hetznerActionId])).toEqual([
        ['shutdown', 410000042],
        ['poweroff', 410000043],
      ]);
      expect({ code: unknown.code, stderr: linesOf(unknown.stderr) }).toEqual({ code: 1, stderr: ['No operation cnotanoperation00000000.'] });
    });
  });
});
