import { aDevice, aServer, anAgent, simServer, startHarness, waitForOperation, type Harness } from './support/harness';

let h: Harness;
beforeAll(async () => {
  h = await startHarness();
});
afterAll(() => h.close());

const powerOff = (serverId: number) =>
  fetch(`${h.sim.url}/v1/servers/${serverId}/actions/poweroff`, { method: 'POST', headers: { authorization: `Bearer ${h.config.hetzner.token}` } });
const powerOn = (serverId: number) =>
  fetch(`${h.sim.url}/v1/servers/${serverId}/actions/poweron`, { method: 'POST', headers: { authorization: `Bearer ${h.config.hetzner.token}` } });

async function until(check: () => Promise<boolean>) {
  for (let i = 0; i < 200 && !(await check()); i += 1) await new Promise((resolve) => setTimeout(resolve, 25));
}

describe('the reconciler', () => {
  it('deletes the servers and devices of destroyed agents, and a second server of a live one', async () => {
    const destroyed = await anAgent(h, { status: 'destroyed', device: true });
    const live = await anAgent(h, { status: 'active', device: true });
    const duplicate = await aServer(h.sim, live.id, { name: `agent-${live.id}-again` });

    const report = await h.workers.engine.reconcile();

    expect(report.orphanServersDeleted.sort()).toEqual([destroyed.serverId, duplicate].sort());
    expect(report.orphanDevicesRemoved).toEqual([destroyed.deviceId]);
    await until(async () => (await simServer(h.sim, duplicate)) === undefined);
    expect(await simServer(h.sim, duplicate)).toBeUndefined();
    expect(await simServer(h.sim, destroyed.serverId!)).toBeUndefined();
    expect((await simServer(h.sim, live.serverId!))?.status).toBe('running');
    expect(h.sim.state().devices.map((device) => device.id)).toContain(live.deviceId);
    expect(await h.db.auditEntry.count({ where: { action: 'reconcile.orphan_server_deleted' } })).toBe(2);
  });

  it('reports, but never deletes, servers and devices of agents this database does not know', async () => {
    const unknownServer = await aServer(h.sim, 'agent-of-another-deployment');
    const unknownDevice = await aDevice(h.sim, 'agent-of-another-deployment');

    const report = await h.workers.engine.reconcile();

    expect(report.unknownServers).toEqual([unknownServer]);
    expect(report.unknownDevices).toEqual([unknownDevice]);
    expect((await simServer(h.sim, unknownServer))?.status).toBe('running');
    expect(h.sim.state().devices.map((device) => device.id)).toContain(unknownDevice);
  });

  it('makes the database follow a server powered off or on outside the service', async () => {
    const stoppedOutside = await anAgent(h, { status: 'active' });
    const startedOutside = await anAgent(h, { status: 'paused' });
    await powerOff(stoppedOutside.serverId!);
    await powerOn(startedOutside.serverId!);
    await until(async () => (await simServer(h.sim, stoppedOutside.serverId!))?.status === 'off' && (await simServer(h.sim, startedOutside.serverId!))?.status === 'running');

    const report = await h.workers.engine.reconcile();

    expect(report.statusCorrected).toEqual(
      expect.arrayContaining([
        { agentId: stoppedOutside.id, from: 'active', to: 'paused' },
        { agentId: startedOutside.id, from: 'paused', to: 'active' },
      ]),
    );
    expect((await h.db.agent.findUniqueOrThrow({ where: { id: stoppedOutside.id } })).status).toBe('paused');
    expect((await h.db.agentInstance.findUniqueOrThrow({ where: { agentId: startedOutside.id } })).status).toBe('running');
  });

  it('suspends again an agent whose server was started while billing suspended it', async () => {
    const suspended = await anAgent(h, { status: 'suspended', suspendedBy: 'billing' });
    await powerOn(suspended.serverId!);
    await until(async () => (await simServer(h.sim, suspended.serverId!))?.status === 'running');

    const report = await h.workers.engine.reconcile();

    expect(report.resuspended).toHaveLength(1);
    expect((await waitForOperation(h.db, report.resuspended[0]!)).status).toBe('succeeded');
    expect((await simServer(h.sim, suspended.serverId!))?.status).toBe('off');
    expect(await h.db.agent.findUniqueOrThrow({ where: { id: suspended.id } })).toMatchObject({ status: 'suspended', suspendedBy: 'billing' });
  });

  it('suspends an agent still active while its customer is delinquent, and destroys the agents of a cancelled subscription', async () => {
    const delinquent = await anAgent(h, { status: 'active', stripeCustomerId: `cus_late_${Date.now()}` });
    const cancelledActive = await anAgent(h, { status: 'active', stripeCustomerId: `cus_gone_${Date.now()}` });
    const cancelledPaused = await anAgent(h, { status: 'paused', userId: cancelledActive.userId });
    const busy = await anAgent(h, { status: 'active', userId: delinquent.userId });
    await h.db.operation.create({ data: { agentId: busy.id, kind: 'stop', source: 'api', status: 'running' } });
    const now = new Date();
    await h.db.subscription.create({ data: { id: `sub_late_${delinquent.id}`, userId: delinquent.userId, status: 'past_due', lastEventAt: now } });
    await h.db.subscription.create({ data: { id: `sub_gone_${cancelledActive.id}`, userId: cancelledActive.userId, status: 'canceled', lastEventAt: now } });

    const report = await h.workers.engine.reconcile();

    expect(report.billingEnforced.map(({ agentId, kind }) => [agentId, kind]).sort()).toEqual(
      [
        [delinquent.id, 'suspend'],
        [cancelledActive.id, 'destroy'],
        [cancelledPaused.id, 'destroy'],
      ].sort(),
    );
    for (const { operationId } of report.billingEnforced) expect((await waitForOperation(h.db, operationId)).status).toBe('succeeded');
    expect(await h.db.agent.findUniqueOrThrow({ where: { id: delinquent.id } })).toMatchObject({ status: 'suspended', suspendedBy: 'billing' });
    expect((await simServer(h.sim, delinquent.serverId!))?.status).toBe('off');
    for (const agent of [cancelledActive, cancelledPaused]) {
      expect((await h.db.agent.findUniqueOrThrow({ where: { id: agent.id } })).status).toBe('destroyed');
      expect(await simServer(h.sim, agent.serverId!)).toBeUndefined();
    }
    // An agent with an operation in flight is left to it.
    expect((await h.db.agent.findUniqueOrThrow({ where: { id: busy.id } })).status).toBe('active');
  });
});
