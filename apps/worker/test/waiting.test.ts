import { anAgent, startHarness, waitFor, waitForOperation, type Harness } from './support/harness';

let h: Harness;
beforeAll(async () => {
  // One Hetzner slot, guests that ignore ACPI and a long grace: a stop waits for its whole grace.
  h = await startHarness({ workers: { concurrency: { hetzner: 1 }, settings: { stopGraceMs: 4_000 } } });
  h.sim.configure({ acpiIgnoreRate: 1 });
});
afterAll(() => h.close());

const stop = async (agent: { id: string; userId: string }) => (await h.requests.requestOperation({ userId: agent.userId, agentId: agent.id, kind: 'stop' })).value.operation;

describe('waiting on the cloud', () => {
  it('holds no worker slot: one slot carries 20 stops through their grace at once', async () => {
    const agents = await Promise.all(Array.from({ length: 20 }, () => anAgent(h, { status: 'active' })));
    const operations = [];
    for (const agent of agents) operations.push(await stop(agent));
    const finished = await Promise.all(operations.map((operation) => waitForOperation(h.db, operation.id, undefined, 60_000)));

    expect(finished.map((operation) => operation.status)).toEqual(Array(20).fill('succeeded'));
    const steps = await h.db.operationStep.findMany({ where: { operationId: { in: operations.map((operation) => operation.id) }, name: 'shutdown' } });
    // Every shutdown was sent before the first stop could end (its grace outlasts them all).
    const lastShutdown = Math.max(...steps.map((step) => step.startedAt.getTime()));
    const firstFinished = Math.min(...finished.map((operation) => operation.finishedAt!.getTime()));
    expect(steps).toHaveLength(20);
    expect(lastShutdown).toBeLessThan(firstFinished);
  }, 90_000);

  it('shows a waiting operation in Bull Board as a delayed job with its steps and log lines', async () => {
    const agent = await anAgent(h, { status: 'active' });
    const operation = await stop(agent);
    const job = await waitFor(
      () => h.workers.jobQueues.getJob('agent.stop', operation.id),
      (candidate) => candidate !== undefined && typeof candidate.progress === 'object',
      10_000,
      'the job reporting progress',
    );
    await waitFor(() => job!.getState(), (state) => state === 'delayed', 10_000, 'the job delayed');
    const { logs } = await h.workers.jobQueues.queueOf('agent.stop').getJobLogs(job!.id!);
    const progress = (await h.workers.jobQueues.getJob('agent.stop', operation.id))!.progress as { message: string };

    expect(progress.message).toMatch(/waiting up to 4 s for the guest to shut down \(ACPI\); shutdown: succeeded \(action \d+\)/);
    expect(logs.some((line) => /waiting up to 4 s for the guest to shut down/.test(line))).toBe(true);
    expect((await waitForOperation(h.db, operation.id, undefined, 30_000)).status).toBe('succeeded');
  }, 60_000);
});
