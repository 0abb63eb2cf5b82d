import { aDevice, anAgent, callsBetween, requestCounts, simServer, startHarness, totalCalls, waitFor, waitForOperation, type Harness } from './support/harness';

let h: Harness;
beforeAll(async () => {
  h = await startHarness();
});
afterAll(() => h.close());

const auditActions = async (operationId: string) =>
  (await h.db.auditEntry.findMany({ where: { operationId }, orderBy: { id: 'asc' } })).map((entry) => entry.action);

describe('stop', () => {
  it('shuts a running agent down gracefully and leaves it paused with its server off', async () => {
    const agent = await anAgent(h, { status: 'active' });
    const before = await requestCounts(h.sim);
    const { value } = await h.requests.requestOperation({ userId: agent.userId, agentId: agent.id, kind: 'stop' });
    const operation = await waitForOperation(h.db, value.operation.id);
    const calls = callsBetween(before, await requestCounts(h.sim));

    expect(operation).toMatchObject({ status: 'succeeded', attempts: 1, error: null });
    expect(await h.db.agent.findUniqueOrThrow({ where: { id: agent.id } })).toMatchObject({ status: 'paused', suspendedBy: null, leaseOperationId: null });
    expect(await h.db.agentInstance.findUniqueOrThrow({ where: { agentId: agent.id } })).toMatchObject({ status: 'stopped' });
    expect((await simServer(h.sim, agent.serverId!))?.status).toBe('off');
    expect(calls['POST /v1/servers/{id}/actions/shutdown']).toBe(1);
    expect(calls['POST /v1/servers/{id}/actions/poweroff']).toBeUndefined();
    // No read first: the shutdown, then the watcher's look at the server list.
    expect(calls['GET /v1/servers/{id}']).toBeUndefined();
    expect(await auditActions(operation.id)).toEqual(['operation.stop.accepted', 'operation.stop.succeeded', 'agent.status']);
    const step = await h.db.operationStep.findUniqueOrThrow({ where: { operationId_name: { operationId: operation.id, name: 'shutdown' } } });
    expect(step.hetznerActionId).not.toBeNull();
  });

  it('powers off after the grace when the guest ignores the ACPI shutdown', async () => {
    h.sim.configure({ acpiIgnoreRate: 1 });
    try {
      const agent = await anAgent(h, { status: 'active' });
      const before = await requestCounts(h.sim);
      const { value } = await h.requests.requestOperation({ userId: agent.userId, agentId: agent.id, kind: 'stop' });
      const operation = await waitForOperation(h.db, value.operation.id);
      const calls = callsBetween(before, await requestCounts(h.sim));

      expect(operation.status).toBe('succeeded');
      expect((await simServer(h.sim, agent.serverId!))?.status).toBe('off');
      expect(calls['POST /v1/servers/{id}/actions/shutdown']).toBe(1);
      expect(calls['POST /v1/servers/{id}/actions/poweroff']).toBe(1);
      expect((await h.db.agent.findUniqueOrThrow({ where: { id: agent.id } })).status).toBe('paused');
    } finally {
      h.sim.configure({ acpiIgnoreRate: 0 });
    }
  });

  it('changes the state of an agent without a server with no cloud call', async () => {
    const agent = await anAgent(h, { status: 'active', server: false });
    const before = await requestCounts(h.sim);
    const { value } = await h.requests.requestOperation({ userId: agent.userId, agentId: agent.id, kind: 'stop' });
    expect((await waitForOperation(h.db, value.operation.id)).status).toBe('succeeded');
    expect((await h.db.agent.findUniqueOrThrow({ where: { id: agent.id } })).status).toBe('paused');
    expect(callsBetween(before, await requestCounts(h.sim))).toEqual({});
  });
});

describe('start', () => {
  it('powers a paused agent on in at most two Hetzner calls', async () => {
    const agent = await anAgent(h, { status: 'paused' });
    const before = await requestCounts(h.sim);
    const { value } = await h.requests.requestOperation({ userId: agent.userId, agentId: agent.id, kind: 'start' });
    const operation = await waitForOperation(h.db, value.operation.id);
    const calls = callsBetween(before, await requestCounts(h.sim));

    expect(operation.status).toBe('succeeded');
    expect(await h.db.agent.findUniqueOrThrow({ where: { id: agent.id } })).toMatchObject({ status: 'active' });
    expect((await h.db.agentInstance.findUniqueOrThrow({ where: { agentId: agent.id } })).status).toBe('running');
    expect((await simServer(h.sim, agent.serverId!))?.status).toBe('running');
    // No read first: the power-on, then the watcher's poll of its action.
    expect(calls['POST /v1/servers/{id}/actions/poweron']).toBe(1);
    expect(calls['GET /v1/servers/{id}']).toBeUndefined();
    expect(totalCalls(calls, '/v1/')).toBeLessThanOrEqual(2);
  });
});

describe('destroy', () => {
  it.each([
    ['running', 'active' as const],
    ['stopped', 'paused' as const],
  ])('deletes the server and removes the device of a %s agent', async (_label, status) => {
    const agent = await anAgent(h, { status, device: true });
    const { value } = await h.requests.requestOperation({ userId: agent.userId, agentId: agent.id, kind: 'destroy' });
    expect((await h.db.agent.findUniqueOrThrow({ where: { id: agent.id } })).status).toBe('destroying');
    const operation = await waitForOperation(h.db, value.operation.id);

    expect(operation.status).toBe('succeeded');
    expect((await h.db.agent.findUniqueOrThrow({ where: { id: agent.id } })).status).toBe('destroyed');
    expect((await h.db.agentInstance.findUniqueOrThrow({ where: { agentId: agent.id } })).status).toBe('deleted');
    expect(await simServer(h.sim, agent.serverId!)).toBeUndefined();
    expect(h.sim.state().devices.find((device) => device.id === agent.deviceId)).toBeUndefined();
    expect(await auditActions(operation.id)).toEqual(['operation.destroy.accepted', 'agent.status', 'operation.destroy.succeeded', 'agent.status']);
    // One job did it all, servers first, then the device: nothing went through another queue.
    const steps = await h.db.operationStep.findMany({ where: { operationId: operation.id }, orderBy: { startedAt: 'asc' } });
    expect(steps.map((step) => [step.name, step.status])).toEqual([
      [`delete_server_${agent.serverId}`, 'succeeded'],
      [`remove_device_${agent.deviceId}`, 'succeeded'],
    ]);
    expect(await h.workers.jobQueues.queues.tailscale.count()).toBe(0);
    await waitFor(async () => (await h.workers.jobQueues.getJob('agent.destroy', operation.id))?.getState(), (state) => state === 'completed', 5_000, 'the destroy job completed');
  });

  it('succeeds when the server and the device are already gone', async () => {
    const agent = await anAgent(h, { status: 'active', device: true });
    await fetch(`${h.sim.url}/v1/servers/${agent.serverId}`, { method: 'DELETE', headers: { authorization: `Bearer ${h.config.hetzner.token}` } });
    await fetch(`${h.sim.url}/api/v2/device/${agent.deviceId}`, { method: 'DELETE', headers: { authorization: `Bearer ${h.config.tailscale.apiKey}` } });
    await waitFor(() => simServer(h.sim, agent.serverId!), (server) => server === undefined, 5_000, 'server gone');
    const { value } = await h.requests.requestOperation({ userId: agent.userId, agentId: agent.id, kind: 'destroy' });
    expect((await waitForOperation(h.db, value.operation.id)).status).toBe('succeeded');
    expect((await h.db.agent.findUniqueOrThrow({ where: { id: agent.id } })).status).toBe('destroyed');
  });

  it('also deletes leftovers a provisioned agent has under its labels and hostname', async () => {
    const agent = await anAgent(h, { status: 'active', server: false, provisioned: true });
    const { aServer } = await import('./support/harness');
    const orphan = await aServer(h.sim, agent.id);
    await aDevice(h.sim, agent.id);
    const { value } = await h.requests.requestOperation({ userId: agent.userId, agentId: agent.id, kind: 'destroy' });
    expect((await waitForOperation(h.db, value.operation.id)).status).toBe('succeeded');
    expect(await simServer(h.sim, orphan)).toBeUndefined();
    expect(h.sim.state().devices.filter((device) => device.hostname === `agent-${agent.id}`)).toEqual([]);
  });
});

describe('billing suspend and resume', () => {
  it('suspends running agents on a failed payment and resumes only those when paid', async () => {
    const customer = `cus_${Date.now()}`;
    const running = await anAgent(h, { status: 'active', stripeCustomerId: customer });
    const paused = await anAgent(h, { status: 'paused', userId: running.userId });
    const occurredAt = new Date();
    const invoice = { customerId: customer, subscriptionId: `sub_${customer}`, quantity: null };

    const failed = await h.billing.applyBillingEvent({ kind: 'payment_failed', eventId: `evt_f_${customer}`, occurredAt, ...invoice });
    expect(failed.operations.map((op) => [op.agentId, op.kind])).toEqual([[running.id, 'suspend']]);
    await waitForOperation(h.db, failed.operations[0]!.id);
    expect(await h.db.agent.findUniqueOrThrow({ where: { id: running.id } })).toMatchObject({ status: 'suspended', suspendedBy: 'billing' });
    expect((await simServer(h.sim, running.serverId!))?.status).toBe('off');

    const paid = await h.billing.applyBillingEvent({ kind: 'paid', eventId: `evt_p_${customer}`, occurredAt: new Date(occurredAt.getTime() + 1000), ...invoice });
    expect(paid.operations.map((op) => [op.agentId, op.kind])).toEqual([[running.id, 'resume']]);
    await waitForOperation(h.db, paid.operations[0]!.id);
    expect(await h.db.agent.findUniqueOrThrow({ where: { id: running.id } })).toMatchObject({ status: 'active', suspendedBy: null });
    expect((await simServer(h.sim, running.serverId!))?.status).toBe('running');
    expect((await h.db.agent.findUniqueOrThrow({ where: { id: paused.id } })).status).toBe('paused');
    expect((await simServer(h.sim, paused.serverId!))?.status).toBe('off');
  });
});

describe('provision and rollback', () => {
  async function provision() {
    const user = await h.db.user.create({ data: { email: `prov-${Date.now()}-${Math.random()}@example.com` } });
    const { value } = await h.requests.createAgent({ userId: user.id, name: 'new agent' });
    return value;
  }

  it('dispatches the workflow and becomes active with the server, device and IP it reports', async () => {
    const { agent, operation } = await provision();
    const done = await waitForOperation(h.db, operation.id);
    expect(done.status).toBe('succeeded');
    const stored = await h.db.agent.findUniqueOrThrow({ where: { id: agent.id }, include: { instance: true, provisioningJobs: true } });
    expect(stored.status).toBe('active');
    expect(stored.provisioningJobs[0]?.status).toBe('completed');
    const server = await simServer(h.sim, Number(stored.instance!.serverId));
    expect(server?.labels).toMatchObject({ 'managed-by': 'agent-lifecycle', 'agent-id': agent.id, 'job-id': stored.provisioningJobs[0]!.id });
    expect(stored.instance).toMatchObject({ tailscaleHostname: `agent-${agent.id}`, status: 'running' });
    expect(stored.instance!.ipv4).toMatch(/^\d+\.\d+\.\d+\.\d+$/);
  });

  it.each([
    ['server', 0, 0],
    ['tailscale', 1, 0],
    ['bootstrap', 1, 1],
  ])('rolls back a run that failed at the %s step, leaving nothing behind', async (failAtStep, serversLeft, devicesLeft) => {
    h.sim.configure({ provisioning: { failAtStep: failAtStep as 'server' } });
    try {
      const { agent, operation } = await provision();
      expect((await waitForOperation(h.db, operation.id)).status).toBe('failed');
      const matches = () => ({
        servers: h.sim.state().servers.filter((server) => (server.labels as Record<string, string>)['agent-id'] === agent.id).length,
        devices: h.sim.state().devices.filter((device) => device.hostname === `agent-${agent.id}`).length,
      });
      const rollback = await waitFor(
        () => h.db.operation.findFirst({ where: { agentId: agent.id, kind: 'rollback' } }),
        (op) => op !== null && ['succeeded', 'failed'].includes(op.status),
        20_000,
        'rollback',
      );
      expect(rollback?.status).toBe('succeeded');
      expect(matches()).toEqual({ servers: 0, devices: 0 });
      const stored = await h.db.agent.findUniqueOrThrow({ where: { id: agent.id }, include: { provisioningJobs: true } });
      expect(stored.status).toBe('failed');
      expect(stored.provisioningJobs[0]?.status).toBe('rolled_back');
      const deleted = await h.db.operationStep.count({ where: { operationId: rollback!.id, name: { startsWith: 'delete_server_' } } });
      const removed = await h.db.operationStep.count({ where: { operationId: rollback!.id, name: { startsWith: 'remove_device_' } } });
      expect([deleted, removed]).toEqual([serversLeft, devicesLeft]);
    } finally {
      h.sim.configure({ provisioning: { failAtStep: null } });
    }
  });
});
