import { aUser, anAgent, type UserWithToken } from './support/builders';
import { call } from './support/http';
import { databaseState, startTestIngress, totalJobs, waitingJobs, type TestIngress } from './support/ingress-fixture';

interface OperationBody {
  operation: { id: string; agentId: string; kind: string; source: string; status: string; attempts: number; error: string | null; createdAt: string; finishedAt: string | null };
}
interface AgentBody {
  agent: { id: string; name: string; status: string; instance: Record<string, unknown> | null; operations?: { id: string; kind: string }[] };
}
interface ErrorBody {
  error: { code: string; message: string; details?: { path: string; message: string }[] };
}

let t: TestIngress;
let alice: UserWithToken;
let bob: UserWithToken;

beforeAll(async () => {
  t = await startTestIngress();
  alice = await aUser().withStripeCustomer().create(t.db);
  bob = await aUser().create(t.db);
});
afterAll(() => t.close());

const api = <T = Record<string, unknown>>(method: string, path: string, options: Parameters<typeof call>[3] = {}) => call<T>(t.url, method, path, options);

describe('listing and reading agents', () => {
  it('lists only the caller’s own agents', async () => {
    const mine = await anAgent().ownedBy(alice).active().withServer().create(t.db);
    const theirs = await anAgent().ownedBy(bob).active().create(t.db);

    const answer = await api<{ agents: { id: string; status: string }[] }>('GET', '/api/agents', { token: alice.token });

    expect(answer.status).toBe(200);
    const ids = answer.body.agents.map((agent) => agent.id);
    expect(ids).toContain(mine.id);
    expect(ids).not.toContain(theirs.id);
  });

  it('shows an agent with its instance and recent operations', async () => {
    const agent = await anAgent().ownedBy(alice).active().withServer().withDevice().create(t.db);
    const stop = await api<OperationBody>('POST', `/api/agents/${agent.id}/stop`, { token: alice.token });

    const answer = await api<AgentBody>('GET', `/api/agents/${agent.id}`, { token: alice.token });

    expect(answer.status).toBe(200);
    expect(answer.body.agent).toMatchObject({
      id: agent.id,
      status: 'active',
      instance: { serverId: agent.serverId, tailscaleDeviceId: agent.deviceId, ipv4: '203.0.113.10', status: 'running' },
    });
    expect(answer.body.agent.operations?.map((operation) => operation.id)).toEqual([stop.body.operation.id]);
  });

  it('answers 404 agent_not_found for another user’s agent, an unknown id and a malformed id', async () => {
    const theirs = await anAgent().ownedBy(bob).create(t.db);
    for (const id of [theirs.id, 'cl_unknown_agent', 'not%20an%20id', 'x'.repeat(65)]) {
      const answer = await api<ErrorBody>('GET', `/api/agents/${id}`, { token: alice.token });
      expect(answer.status).toBe(404);
      expect(answer.body.error.code).toBe('agent_not_found');
    }
  });

  it('answers 401 without a token or with a bad one', async () => {
    for (const headers of [{} as Record<string, string>, { authorization: 'Bearer al_not-a-real-token' }, { authorization: 'Basic b3BlcmF0b3I6eA==' }, { authorization: 'Bearer' }]) {
      const answer = await api<ErrorBody>('GET', '/api/agents', { headers });
      expect(answer.status).toBe(401);
      expect(answer.body.error.code).toBe('unauthorized');
      expect(answer.headers.get('www-authenticate')).toContain('Bearer');
    }
  });
});

describe('creating an agent', () => {
  it('accepts a name, records the agent in provisioning and enqueues its provisioning', async () => {
    const answer = await api<AgentBody & OperationBody>('POST', '/api/agents', { token: alice.token, json: { name: '  Research bot_1 ' } });

    expect(answer.status).toBe(202);
    expect(answer.body.agent).toMatchObject({ name: 'Research bot_1', status: 'provisioning' });
    expect(answer.body.operation).toMatchObject({ kind: 'provision', source: 'api', status: 'queued', agentId: answer.body.agent.id });
    expect(answer.headers.get('location')).toBe(`/api/operations/${answer.body.operation.id}`);
    expect(await waitingJobs(t.queues)).toContainEqual({ name: 'agent.provision', operationId: answer.body.operation.id });
    expect(await t.db.provisioningJob.count({ where: { agentId: answer.body.agent.id } })).toBe(1);
  });

  it.each([
    ['a missing name', {}],
    ['an empty name', { name: '   ' }],
    ['a name of 65 characters', { name: 'a'.repeat(65) }],
    ['a name with other characters', { name: 'bot<script>' }],
    ['a name that is not a string', { name: 42 }],
    ['an unknown field', { name: 'ok', size: 'xl' }],
    ['an array', [{ name: 'ok' }]],
  ])('refuses %s with 400 validation_failed and creates nothing', async (_case, json) => {
    const before = await databaseState(t.db);
    const jobs = await totalJobs(t.queues);

    const answer = await api<ErrorBody>('POST', '/api/agents', { token: alice.token, json });

    expect(answer.status).toBe(400);
    expect(answer.body.error.code).toBe('validation_failed');
    expect(answer.body.error.details?.length).toBeGreaterThan(0);
    expect(await databaseState(t.db)).toEqual(before);
    expect(await totalJobs(t.queues)).toBe(jobs);
  });

  it('accepts a name of exactly 64 characters', async () => {
    const answer = await api<AgentBody>('POST', '/api/agents', { token: alice.token, json: { name: 'n'.repeat(64) } });
    expect(answer.status).toBe(202);
  });

  it('answers 409 billing_suspended while the subscription is past due', async () => {
    const late = await aUser().withStripeCustomer().create(t.db);
    await t.db.subscription.create({ data: { id: `sub_${late.user.id}`, userId: late.user.id, status: 'past_due', lastEventAt: new Date() } });
    const before = await databaseState(t.db);

    const answer = await api<ErrorBody>('POST', '/api/agents', { token: late.token, json: { name: 'blocked' } });

    expect(answer.status).toBe(409);
    expect(answer.body.error.code).toBe('billing_suspended');
    expect(await databaseState(t.db)).toEqual(before);
  });
});

describe('stop, start and destroy', () => {
  it('stops an active agent: 202 with the operation and its address, one job enqueued', async () => {
    const agent = await anAgent().ownedBy(alice).active().create(t.db);

    const answer = await api<OperationBody>('POST', `/api/agents/${agent.id}/stop`, { token: alice.token });

    expect(answer.status).toBe(202);
    expect(answer.body.operation).toMatchObject({ agentId: agent.id, kind: 'stop', source: 'api', status: 'queued', attempts: 0, error: null, finishedAt: null });
    expect(answer.headers.get('location')).toBe(`/api/operations/${answer.body.operation.id}`);
    expect(await waitingJobs(t.queues)).toContainEqual({ name: 'agent.stop', operationId: answer.body.operation.id });
    const audit = await t.db.auditEntry.findMany({ where: { operationId: answer.body.operation.id } });
    expect(audit.map((entry) => entry.action)).toEqual(['operation.stop.accepted']);
  });

  it('starts a paused agent and destroys an agent', async () => {
    const paused = await anAgent().ownedBy(alice).paused().create(t.db);
    const start = await api<OperationBody>('POST', `/api/agents/${paused.id}/start`, { token: alice.token, json: {} });
    expect(start.status).toBe(202);
    expect(start.body.operation.kind).toBe('start');

    const doomed = await anAgent().ownedBy(alice).paused().create(t.db);
    const destroy = await api<OperationBody>('POST', `/api/agents/${doomed.id}/destroy`, { token: alice.token });
    expect(destroy.status).toBe(202);
    expect(destroy.body.operation.kind).toBe('destroy');
    expect((await t.db.agent.findUniqueOrThrow({ where: { id: doomed.id } })).status).toBe('destroying');
  });

  it.each([
    ['stop', 'paused', 'agent_not_running'],
    ['stop', 'provisioning', 'agent_not_running'],
    ['start', 'active', 'agent_not_paused'],
    ['start', 'suspended', 'billing_suspended'],
    ['destroy', 'destroyed', 'agent_destroyed'],
  ] as const)('refuses to %s a %s agent with 409 %s and records nothing', async (kind, status, code) => {
    const builder = anAgent().ownedBy(alice);
    const inStatus = { paused: () => builder.paused(), provisioning: () => builder.provisioning(), active: () => builder.active(), suspended: () => builder.suspended(), destroyed: () => builder.destroyed() };
    const agent = await inStatus[status]().create(t.db);
    expect(agent.status).toBe(status);
    const before = await databaseState(t.db);
    const jobs = await totalJobs(t.queues);

    const answer = await api<ErrorBody>('POST', `/api/agents/${agent.id}/${kind}`, { token: alice.token });

    expect(answer.status).toBe(409);
    expect(answer.body.error.code).toBe(code);
    expect(await databaseState(t.db)).toEqual(before);
    expect(await totalJobs(t.queues)).toBe(jobs);
  });

  it('refuses a destroy while one is already under way', async () => {
    const agent = await anAgent().ownedBy(alice).active().create(t.db);
    expect((await api('POST', `/api/agents/${agent.id}/destroy`, { token: alice.token })).status).toBe(202);
    const again = await api<ErrorBody>('POST', `/api/agents/${agent.id}/destroy`, { token: alice.token });
    expect(again.status).toBe(409);
    expect(again.body.error.code).toBe('agent_destroyed');
  });

  it('refuses a body with parameters on stop', async () => {
    const agent = await anAgent().ownedBy(alice).active().create(t.db);
    const answer = await api<ErrorBody>('POST', `/api/agents/${agent.id}/stop`, { token: alice.token, json: { force: true } });
    expect(answer.status).toBe(400);
    expect(answer.body.error.code).toBe('validation_failed');
    expect(await t.db.operation.count({ where: { agentId: agent.id } })).toBe(0);
  });
});

describe('authorization', () => {
  it('keeps user A away from user B’s agent: 404 on read, stop, start and destroy, and no operation', async () => {
    const theirs = await anAgent().ownedBy(bob).active().create(t.db);
    const pausedOfTheirs = await anAgent().ownedBy(bob).paused().create(t.db);
    const jobs = await totalJobs(t.queues);

    const answers = [
      await api<ErrorBody>('GET', `/api/agents/${theirs.id}`, { token: alice.token }),
      await api<ErrorBody>('POST', `/api/agents/${theirs.id}/stop`, { token: alice.token }),
      await api<ErrorBody>('POST', `/api/agents/${pausedOfTheirs.id}/start`, { token: alice.token }),
      await api<ErrorBody>('POST', `/api/agents/${theirs.id}/destroy`, { token: alice.token }),
    ];

    for (const answer of answers) {
      expect(answer.status).toBe(404);
      expect(answer.body.error.code).toBe('agent_not_found');
    }
    expect(await t.db.operation.count({ where: { agentId: { in: [theirs.id, pausedOfTheirs.id] } } })).toBe(0);
    expect(await totalJobs(t.queues)).toBe(jobs);
    expect((await t.db.agent.findUniqueOrThrow({ where: { id: theirs.id } })).status).toBe('active');
  });

  it('answers 401 on every user route without a valid token, and records nothing', async () => {
    const agent = await anAgent().ownedBy(alice).active().create(t.db);
    const before = await databaseState(t.db);
    const routes: [string, string][] = [
      ['GET', '/api/agents'],
      ['POST', '/api/agents'],
      ['GET', `/api/agents/${agent.id}`],
      ['POST', `/api/agents/${agent.id}/stop`],
      ['POST', `/api/agents/${agent.id}/start`],
      ['POST', `/api/agents/${agent.id}/destroy`],
      ['GET', '/api/operations/anything'],
    ];
    for (const [method, path] of routes) {
      for (const token of [undefined, 'al_wrong']) {
        const answer = await api<ErrorBody>(method, path, { token, json: method === 'POST' ? { name: 'x' } : undefined });
        expect([method, path, answer.status, answer.body.error.code]).toEqual([method, path, 401, 'unauthorized']);
      }
    }
    expect(await databaseState(t.db)).toEqual(before);
  });
});

describe('operations', () => {
  it('shows one of the caller’s operations with the contract’s fields', async () => {
    const agent = await anAgent().ownedBy(alice).active().create(t.db);
    const { body } = await api<OperationBody>('POST', `/api/agents/${agent.id}/stop`, { token: alice.token });

    const answer = await api<OperationBody>('GET', `/api/operations/${body.operation.id}`, { token: alice.token });

    expect(answer.status).toBe(200);
    expect(Object.keys(answer.body.operation).sort()).toEqual(['agentId', 'attempts', 'createdAt', 'error', 'finishedAt', 'id', 'kind', 'source', 'status']);
    expect(answer.body.operation).toMatchObject({ id: body.operation.id, agentId: agent.id, kind: 'stop', status: 'queued' });
  });

  it('answers 404 operation_not_found for another user’s operation and an unknown one', async () => {
    const agent = await anAgent().ownedBy(bob).active().create(t.db);
    const { body } = await api<OperationBody>('POST', `/api/agents/${agent.id}/stop`, { token: bob.token });
    for (const id of [body.operation.id, 'op_unknown', '%E0%A4%A']) {
      const answer = await api<ErrorBody>('GET', `/api/operations/${id}`, { token: alice.token });
      expect(answer.status).toBe(id.startsWith('%') ? 400 : 404);
      expect(answer.body.error.code).toBe(id.startsWith('%') ? 'invalid_path' : 'operation_not_found');
    }
  });
});

describe('Idempotency-Key', () => {
  it('replays the same operation for the same key and request, enqueuing nothing new', async () => {
    const agent = await anAgent().ownedBy(alice).active().create(t.db);
    const headers = { 'idempotency-key': `stop-${agent.id}` };
    const first = await api<OperationBody>('POST', `/api/agents/${agent.id}/stop`, { token: alice.token, headers });
    const jobs = await totalJobs(t.queues);
    const before = await databaseState(t.db);

    const replay = await api<OperationBody>('POST', `/api/agents/${agent.id}/stop`, { token: alice.token, headers });

    expect(first.status).toBe(202);
    expect(replay.status).toBe(202);
    expect(replay.body.operation.id).toBe(first.body.operation.id);
    expect(replay.headers.get('location')).toBe(`/api/operations/${first.body.operation.id}`);
    expect(replay.headers.get('idempotent-replayed')).toBe('true');
    expect(await totalJobs(t.queues)).toBe(jobs);
    expect(await databaseState(t.db)).toEqual(before);
  });

  it('replays an agent creation with the same agent, even with keys in another order', async () => {
    const headers = { 'idempotency-key': 'create-replay' };
    const first = await api<AgentBody & OperationBody>('POST', '/api/agents', { token: alice.token, headers, json: { name: 'same' } });
    const again = await api<AgentBody & OperationBody>('POST', '/api/agents', {
      token: alice.token,
      headers: { ...headers, 'content-type': 'application/json' },
      raw: '{ "name" : " same" }',
    });
    expect(first.status).toBe(202);
    expect(again.status).toBe(202);
    expect(again.body.agent.id).toBe(first.body.agent.id);
    expect(again.body.operation.id).toBe(first.body.operation.id);
    expect(await t.db.agent.count({ where: { name: 'same' } })).toBe(1);
  });

  it('answers 422 idempotency_key_reused for the same key with another body or another agent', async () => {
    const headers = { 'idempotency-key': 'reused-key' };
    const created = await api<AgentBody>('POST', '/api/agents', { token: alice.token, headers, json: { name: 'first' } });
    expect(created.status).toBe(202);
    const jobs = await totalJobs(t.queues);
    const before = await databaseState(t.db);

    const otherBody = await api<ErrorBody>('POST', '/api/agents', { token: alice.token, headers, json: { name: 'second' } });
    expect(otherBody.status).toBe(422);
    expect(otherBody.body.error.code).toBe('idempotency_key_reused');

    const one = await anAgent().ownedBy(alice).active().create(t.db);
    const two = await anAgent().ownedBy(alice).active().create(t.db);
    const stopHeaders = { 'idempotency-key': 'stop-key' };
    expect((await api('POST', `/api/agents/${one.id}/stop`, { token: alice.token, headers: stopHeaders })).status).toBe(202);
    const otherAgent = await api<ErrorBody>('POST', `/api/agents/${two.id}/stop`, { token: alice.token, headers: stopHeaders });
    expect(otherAgent.status).toBe(422);
    expect(otherAgent.body.error.code).toBe('idempotency_key_reused');
    expect(await t.db.operation.count({ where: { agentId: two.id } })).toBe(0);
    expect(await totalJobs(t.queues)).toBe(jobs + 1);
    expect((await databaseState(t.db)).operations).toBe((before.operations as number) + 1);
  });

  it('scopes keys to the user and the route', async () => {
    const mine = await anAgent().ownedBy(alice).active().create(t.db);
    const theirs = await anAgent().ownedBy(bob).active().create(t.db);
    const headers = { 'idempotency-key': 'shared-key' };

    const a = await api<OperationBody>('POST', `/api/agents/${mine.id}/stop`, { token: alice.token, headers });
    const b = await api<OperationBody>('POST', `/api/agents/${theirs.id}/stop`, { token: bob.token, headers });
    const created = await api<OperationBody>('POST', '/api/agents', { token: alice.token, headers, json: { name: 'scoped' } });

    expect([a.status, b.status, created.status]).toEqual([202, 202, 202]);
    expect(new Set([a.body.operation.id, b.body.operation.id, created.body.operation.id]).size).toBe(3);
  });

  it('refuses a malformed key with 400 invalid_idempotency_key', async () => {
    const agent = await anAgent().ownedBy(alice).active().create(t.db);
    const answer = await api<ErrorBody>('POST', `/api/agents/${agent.id}/stop`, { token: alice.token, headers: { 'idempotency-key': 'k'.repeat(256) } });
    expect(answer.status).toBe(400);
    expect(answer.body.error.code).toBe('invalid_idempotency_key');
    expect(await t.db.operation.count({ where: { agentId: agent.id } })).toBe(0);
  });
});
