// The reads the ingress, agentctl and the engine share: what they return is what is stored,
// timestamps read back as the same instants (UTC), and a user's read sees only their own rows.
import { createDb, findAgent, findOperation, latestSubscriptionStatus, listAgents, type Db } from '@agent-lifecycle/db';
import { createTestDatabase, type TestDatabase } from '@agent-lifecycle/testing';

let testDb: TestDatabase;
let db: Db;

beforeAll(async () => {
  testDb = await createTestDatabase();
  db = testDb.db;
});
afterAll(() => testDb.drop());

const aUser = (email: string) => db.user.create({ data: { email } });

it('reads the status of the subscription with the latest billing event, null without one', async () => {
  const user = await aUser('billing@example.com');
  expect(await latestSubscriptionStatus(db, user.id)).toBeNull();
  await db.subscription.create({ data: { id: 'sub_old', userId: user.id, status: 'active', lastEventAt: new Date('2026-11-01T00:00:00Z') } });
  await db.subscription.create({ data: { id: 'sub_new', userId: user.id, status: 'past_due', lastEventAt: new Date('2026-11-20T00:00:00Z') } });

  expect(await latestSubscriptionStatus(db, user.id)).toBe('past_due');
});

it("lists a user's agents with their instance, and shows one with its operations newest first", async () => {
  const owner = await aUser('owner@example.com');
  const other = await aUser('other@example.com');
  const agent = await db.agent.create({ data: { userId: owner.id, name: 'mine', status: 'active', instance: { create: { serverId: 4_200_000_000_123n, ipv4: '203.0.113.7', status: 'running' } } } });
  await db.agent.create({ data: { userId: other.id, name: 'theirs', status: 'paused' } });
  const first = await db.operation.create({ data: { agentId: agent.id, kind: 'stop', source: 'api', createdAt: new Date('2026-11-30T10:00:00.123Z') } });
  const second = await db.operation.create({ data: { agentId: agent.id, kind: 'start', source: 'api', createdAt: new Date('2026-11-30T11:00:00.456Z') } });

  const listed = await listAgents(db, { userId: owner.id });
  const shown = await findAgent(db, agent.id, { userId: owner.id });

  expect(listed.map((row) => [row.name, row.ownerEmail, row.instance?.serverId])).toEqual([['mine', 'owner@example.com', 4_200_000_000_123]]);
  expect(shown?.operations.map((operation) => [operation.id, operation.createdAt])).toEqual([
    [second.id, new Date('2026-11-30T11:00:00.456Z')],
    [first.id, new Date('2026-11-30T10:00:00.123Z')],
  ]);
  expect(await findAgent(db, agent.id, { userId: other.id })).toBeNull();
  expect(await findOperation(db, first.id, { userId: other.id })).toBeNull();
  expect((await findOperation(db, first.id, { userId: owner.id }))?.createdAt).toEqual(new Date('2026-11-30T10:00:00.123Z'));
});

it('counts every statement sent through the pool, Prisma and Kysely alike', async () => {
  const statements: string[] = [];
  const counted = createDb(testDb.url, { poolSize: 1, onRoundTrip: (sql) => statements.push(sql) });
  try {
    await counted.user.count();
    await listAgents(counted, { userId: 'nobody' });
    expect(statements).toHaveLength(2);
  } finally {
    await counted.$disconnect();
  }
});
