import { addFaults, anAgent, clearFaults, simServer, startHarness, waitFor, waitForOperation, type Harness } from './support/harness';

let h: Harness;
beforeAll(async () => {
  h = await startHarness({ workers: { settings: { destroyRetryMs: 2_000, destroyRetryMaxMs: 4_000 }, metricsPort: 0 } });
});
afterEach(() => clearFaults(h.sim));
afterAll(() => h.close());

const metricsText = async () => (await fetch(`http://127.0.0.1:${h.workers.health!.port}/metrics`)).text();
/** Sweeps until the sweeper puts the destroy back in line (its pause has to pass first). */
const sweptBack = (operationId: string) =>
  waitFor(() => h.workers.engine.sweep(), (report) => report.destroysRetried.includes(operationId), 15_000, `destroy ${operationId} put back in line`);

describe('a destroy that fails', () => {
  it('is never left behind: the sweeper retries it, less often each time, until the server and device are gone', async () => {
    const agent = await anAgent(h, { status: 'active', device: true });
    // Two refusals Hetzner would not change its mind about, then the delete goes through.
    await addFaults(h.sim, [{ method: 'DELETE', path: '/v1/servers/*', status: 403, code: 'forbidden', count: 2 }]);
    const { value } = await h.requests.requestOperation({ userId: agent.userId, agentId: agent.id, kind: 'destroy' });
    const destroy = value.operation;

    expect(await waitForOperation(h.db, destroy.id)).toMatchObject({ status: 'failed', errorCode: 'forbidden' });
    expect((await h.db.agent.findUniqueOrThrow({ where: { id: agent.id } })).status).toBe('destroying');
    const text = await metricsText();
    expect(text).toMatch(/^agent_lifecycle_agents_destroying 1$/m);
    expect(text).toMatch(/^agent_lifecycle_operations_finished_total\{kind="destroy",outcome="failed"\} 1$/m);
    // Failed a moment ago: its pause has not passed yet.
    expect((await h.workers.engine.sweep()).destroysRetried).toEqual([]);

    await sweptBack(destroy.id);
    expect(await waitForOperation(h.db, destroy.id)).toMatchObject({ status: 'failed', errorCode: 'forbidden' });
    await sweptBack(destroy.id);

    expect((await waitForOperation(h.db, destroy.id)).status).toBe('succeeded');
    expect((await h.db.agent.findUniqueOrThrow({ where: { id: agent.id } })).status).toBe('destroyed');
    expect(await simServer(h.sim, agent.serverId!)).toBeUndefined();
    expect(h.sim.state().devices.find((device) => device.id === agent.deviceId)).toBeUndefined();
    const retries = await h.db.auditEntry.findMany({ where: { operationId: destroy.id, action: 'operation.destroy.retried' }, orderBy: { id: 'asc' } });
    expect(retries.map((entry) => (entry.details as { retry: number }).retry)).toEqual([1, 2]);
    expect(await metricsText()).toMatch(/^agent_lifecycle_agents_destroying 0$/m);
  });

  it('counts as stuck while it is unfinished long after it was accepted', async () => {
    const agent = await anAgent(h, { status: 'destroying' });
    const longAgo = new Date(Date.now() - 60 * 60_000);
    await h.db.operation.create({ data: { agentId: agent.id, kind: 'destroy', source: 'stripe', status: 'queued', createdAt: longAgo, updatedAt: new Date() } });

    expect(await metricsText()).toMatch(/^agent_lifecycle_operations_stuck\{kind="destroy"\} 1$/m);
  });
});
