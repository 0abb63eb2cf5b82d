import { JobQueues, createRedisConnection } from '@agent-lifecycle/jobs';
import { JOB_TABLE } from '@agent-lifecycle/lifecycle';
import { createTestDatabase, testQueuePrefix, testRedisUrl, type TestDatabase } from '@agent-lifecycle/testing';
import { aUser, anAgent, anOperation } from './support/builders';
import { agentctl, cliEnvironment, linesOf } from './support/run-cli';

describe('agentctl operation retry', () => {
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

  it('puts a failed operation back in line under the same id, keeping its steps, and audits who did it', async () => {
    const agent = await anAgent(database.db, await aUser(database.db), { serverId: 8100 });
    const operation = await anOperation(database.db, agent, {
      kind: 'stop',
      status: 'failed',
      attempts: 8,
      error: 'rate limited',
      steps: [{ name: 'shutdown', status: 'succeeded', hetznerActionId: 410000100 }],
    });

    const { code, stdout, stderr } = await agentctl(['operation', 'retry', operation.id], env);

    expect({ code, stderr }).toEqual({ code: 0, stderr: '' });
    expect(linesOf(stdout)).toEqual([`Operation ${operation.id} (stop of agent ${agent.id}) is queued again.`]);
    const stored = await database.db.operation.findUniqueOrThrow({ where: { id: operation.id }, include: { steps: true } });
    expect(stored).toMatchObject({ status: 'queued', error: null, finishedAt: null });
    expect(stored.steps.map((step) => step.name)).toEqual(['shutdown']);
    const job = await queues.getJob('agent.stop', operation.id);
    expect(job?.id).toBe(operation.id);
    expect(await job?.getState()).toBe('waiting');
    const audit = await database.db.auditEntry.findFirst({ where: { operationId: operation.id, action: 'operation.stop.retried' } });
    expect(audit).toMatchObject({ source: 'operator', actor: expect.stringMatching(/^agentctl:/) });
  });

  it('refuses to retry an operation that did not fail, and an unknown one: exit 1, one line each', async () => {
    const agent = await anAgent(database.db, await aUser(database.db));
    const done = await anOperation(database.db, agent, { kind: 'start', status: 'succeeded' });
    const [notFailed, unknown] = await Promise.all([agentctl(['operation', 'retry', done.id, '--json'], env), agentctl(['operation', 'retry', 'cnotanoperation00000000'], env)]);
    expect({ code: notFailed.code, stdout: notFailed.stdout, stderr: linesOf(notFailed.stderr) }).toEqual({
      code: 1,
      stdout: '',
      stderr: [`Operation ${done.id} is succeeded; only a failed operation can be retried.`],
    });
    expect({ code: unknown.code, stderr: linesOf(unknown.stderr) }).toEqual({ code: 1, stderr: ['No operation cnotanoperation00000000.'] });
    expect((await database.db.operation.findUniqueOrThrow({ where: { id: done.id } })).status).toBe('succeeded');
    expect(await queues.getJob('agent.start', done.id)).toBeUndefined();
  });
});
