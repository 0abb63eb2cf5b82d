import { isForeignKeyViolation, isUniqueViolation, type Db } from '@agent-lifecycle/db';
import { createTestDatabase, rejectionOf, type TestDatabase } from '@agent-lifecycle/testing';

let testDb: TestDatabase;
let db: Db;

beforeAll(async () => {
  testDb = await createTestDatabase();
  db = testDb.db;
});
afterAll(() => testDb.drop());

async function aUserWithAgent(email: string) {
  const user = await db.user.create({ data: { email } });
  const agent = await db.agent.create({ data: { userId: user.id, name: 'agent', status: 'active' } });
  return { user, agent };
}

describe('database constraints', () => {
  it('refuses a second webhook event with the same provider and id', async () => {
    await db.webhookEvent.create({ data: { provider: 'stripe', eventId: 'evt_1', type: 'invoice.paid' } });
    const error = await rejectionOf(db.webhookEvent.create({ data: { provider: 'stripe', eventId: 'evt_1', type: 'invoice.paid' } }));
    expect(isUniqueViolation(error)).toBe(true);
    // The same id from another provider is a different event.
    await db.webhookEvent.create({ data: { provider: 'github', eventId: 'evt_1', type: 'callback' } });
    expect(await db.webhookEvent.count({ where: { eventId: 'evt_1' } })).toBe(2);
  });

  it('refuses two operations with the same idempotency key from the same user', async () => {
    const { user, agent } = await aUserWithAgent('idem@example.com');
    const data = { agentId: agent.id, kind: 'stop' as const, source: 'api' as const, requestedById: user.id, idempotencyKey: 'POST /stop:k1' };
    await db.operation.create({ data });
    const error = await rejectionOf(db.operation.create({ data }));
    expect(isUniqueViolation(error)).toBe(true);
    expect(await db.operation.count({ where: { agentId: agent.id } })).toBe(1);
  });

  it('refuses to delete a user who still has agents', async () => {
    const { user, agent } = await aUserWithAgent('owner@example.com');
    const error = await rejectionOf(db.user.delete({ where: { id: user.id } }));
    expect(isForeignKeyViolation(error)).toBe(true);
    expect(await db.agent.findUnique({ where: { id: agent.id } })).not.toBeNull();
  });

  it('refuses two agents sharing one Hetzner server', async () => {
    const first = await aUserWithAgent('server1@example.com');
    const second = await aUserWithAgent('server2@example.com');
    await db.agentInstance.create({ data: { agentId: first.agent.id, serverId: 9_007_199_254_740_993n, status: 'running' } });
    const error = await rejectionOf(db.agentInstance.create({ data: { agentId: second.agent.id, serverId: 9_007_199_254_740_993n } }));
    expect(isUniqueViolation(error)).toBe(true);
    const stored = await db.agentInstance.findUniqueOrThrow({ where: { agentId: first.agent.id } });
    expect(stored.serverId).toBe(9_007_199_254_740_993n);
  });

  it('keeps one step row per operation step, so an action id is stored once', async () => {
    const { agent } = await aUserWithAgent('steps@example.com');
    const operation = await db.operation.create({ data: { agentId: agent.id, kind: 'stop', source: 'api' } });
    await db.operationStep.create({ data: { operationId: operation.id, name: 'shutdown', hetznerActionId: 42n } });
    const error = await rejectionOf(db.operationStep.create({ data: { operationId: operation.id, name: 'shutdown', hetznerActionId: 43n } }));
    expect(isUniqueViolation(error)).toBe(true);
  });
});
