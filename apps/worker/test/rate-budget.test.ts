import { anAgent, callsBetween, requestCounts, startHarness, waitForOperation, type Harness } from './support/harness';

let h: Harness;
beforeAll(async () => {
  // Our budget matches the simulated project's refill (10/s), as HETZNER_RATE_LIMIT_PER_HOUR would in production.
  // The grace is long enough for every simulated guest to shut down: this file is about the budget.
  h = await startHarness({ env: { HETZNER_RATE_LIMIT_PER_HOUR: String(10 * 3600) }, workers: { settings: { stopGraceMs: 10_000 } } });
});
afterAll(() => h.close());

describe('the Hetzner rate budget', () => {
  it('finishes 200 stops against a budget of 40 requests refilling 10/s with no job failed', async () => {
    const agents = [];
    for (let i = 0; i < 200; i += 1) agents.push(await anAgent(h, { status: 'active' }));
    h.sim.configure({ rateLimit: { limit: 40, refillPerSecond: 10 } });
    const before = await requestCounts(h.sim);

    // All accepted while the Hetzner worker is paused, as a billing run would: the workers meet a burst.
    const hetzner = h.workers.workers.find((worker) => worker.name === 'hetzner')!;
    await hetzner.pause();
    const operations = [];
    for (const agent of agents) operations.push((await h.requests.requestOperation({ userId: agent.userId, agentId: agent.id, kind: 'stop' })).value.operation);
    hetzner.resume();
    const finished = await Promise.all(operations.map((operation) => waitForOperation(h.db, operation.id, undefined, 180_000)));

    const after = await requestCounts(h.sim);
    const calls = callsBetween(before, after);
    const served429 = Object.entries(after).reduce((sum, [key, count]) => sum + (count?.byStatus['429'] ?? 0) - (before[key]?.byStatus['429'] ?? 0), 0);
    process.stdout.write(`200 stops: ${JSON.stringify(calls)}; 429s served: ${served429}\n`);

    expect(finished.map((operation) => operation.status)).toEqual(Array(200).fill('succeeded'));
    expect(await h.workers.jobQueues.queues.hetzner.getFailedCount()).toBe(0);
    expect(served429).toBeGreaterThan(0);
    // Exactly one shutdown action per agent: a request refused with 429 created none, and is the only kind repeated.
    const shutdowns = 'POST /v1/servers/{id}/actions/shutdown';
    const refusedShutdowns = (after[shutdowns]?.byStatus['429'] ?? 0) - (before[shutdowns]?.byStatus['429'] ?? 0);
    expect(calls[shutdowns]! - refusedShutdowns).toBe(200);
    // One shutdown each, and the waits polled together: a little over one call per stop, 429s included.
    const perStop = Object.entries(calls).filter(([key]) => key.includes('/v1/')).reduce((sum, [, n]) => sum + n, 0) / 200;
    expect(perStop).toBeLessThanOrEqual(1.5);
  }, 240_000);
});
