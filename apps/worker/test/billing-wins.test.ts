import { anAgent, callsBetween, requestCounts, simServer, startHarness, waitForOperation, type Harness } from './support/harness';

let h: Harness;
beforeAll(async () => {
  h = await startHarness();
});
afterAll(() => h.close());

const hetznerWorker = () => h.workers.workers.find((worker) => worker.name === 'hetzner')!;
let events = 0;
const billingEvent = (kind: 'payment_failed' | 'paid', customer: string, created: number) => {
  events += 1;
  return h.billing.applyBillingEvent({ kind, eventId: `evt_${events}_${customer}`, customerId: customer, subscriptionId: `sub_${customer}`, occurredAt: new Date(created * 1000), quantity: null });
};

describe('billing wins when a start or resume runs', () => {
  it('skips a start accepted before the payment failed, and leaves the server off', async () => {
    const customer = `cus_start_${Date.now()}`;
    const agent = await anAgent(h, { status: 'paused', stripeCustomerId: customer });
    await hetznerWorker().pause();
    const { value } = await h.requests.requestOperation({ userId: agent.userId, agentId: agent.id, kind: 'start' });
    await billingEvent('payment_failed', customer, Math.floor(Date.now() / 1000));
    const before = await requestCounts(h.sim);
    hetznerWorker().resume();

    const operation = await waitForOperation(h.db, value.operation.id);
    expect(operation).toMatchObject({ status: 'skipped', error: 'billing is past_due: the agent stays off' });
    expect((await h.db.agent.findUniqueOrThrow({ where: { id: agent.id } })).status).toBe('paused');
    expect((await simServer(h.sim, agent.serverId!))?.status).toBe('off');
    expect(callsBetween(before, await requestCounts(h.sim))).toEqual({});
  });

  it('skips a resume when a newer payment failure arrived before it ran', async () => {
    const customer = `cus_resume_${Date.now()}`;
    const agent = await anAgent(h, { status: 'suspended', suspendedBy: 'billing', stripeCustomerId: customer });
    const created = Math.floor(Date.now() / 1000);
    await billingEvent('payment_failed', customer, created - 10);
    await hetznerWorker().pause();
    const paid = await billingEvent('paid', customer, created - 5);
    expect(paid.operations.map((operation) => operation.kind)).toEqual(['resume']);
    await billingEvent('payment_failed', customer, created);
    hetznerWorker().resume();

    expect(await waitForOperation(h.db, paid.operations[0]!.id)).toMatchObject({ status: 'skipped', error: 'billing is past_due: the agent stays off' });
    expect(await h.db.agent.findUniqueOrThrow({ where: { id: agent.id } })).toMatchObject({ status: 'suspended', suspendedBy: 'billing' });
    expect((await simServer(h.sim, agent.serverId!))?.status).toBe('off');
  });

  it('still starts an agent whose customer is in good standing', async () => {
    const customer = `cus_good_${Date.now()}`;
    const agent = await anAgent(h, { status: 'paused', stripeCustomerId: customer });
    await billingEvent('paid', customer, Math.floor(Date.now() / 1000));
    const { value } = await h.requests.requestOperation({ userId: agent.userId, agentId: agent.id, kind: 'start' });

    expect((await waitForOperation(h.db, value.operation.id)).status).toBe('succeeded');
    expect((await simServer(h.sim, agent.serverId!))?.status).toBe('running');
  });
});
