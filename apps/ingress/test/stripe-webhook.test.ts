import { aUser, anAgent, type UserWithToken } from './support/builders';
import { call } from './support/http';
import { databaseState, startTestIngress, totalJobs, waitingJobs, type TestIngress } from './support/ingress-fixture';
import { stripeEvent, stripeHeaders, stripeSignature } from './support/signing';

interface ErrorBody {
  error: { code: string; message: string };
}

let t: TestIngress;
beforeAll(async () => {
  t = await startTestIngress();
});
afterAll(() => t.close());

const deliver = (payload: string, headers: Record<string, string> = stripeHeaders(payload)) =>
  call<{ received?: boolean } & Partial<ErrorBody>>(t.url, 'POST', '/api/webhooks/stripe', { raw: payload, headers });

const subscription = (customer: string, status: string, id = `sub_${customer}`) => ({ id, object: 'subscription', customer, status, items: { data: [{ current_period_end: 1_900_000_000 }] } });
const invoice = (customer: string, subscriptionId = `sub_${customer}`) => ({
  id: `in_${Math.random().toString(36).slice(2)}`,
  object: 'invoice',
  customer,
  parent: { subscription_details: { subscription: subscriptionId } },
});

async function aCustomerWithAgents(): Promise<{ customer: UserWithToken; customerId: string; agentIds: string[] }> {
  const customer = await aUser().withStripeCustomer().create(t.db);
  const running = await anAgent().ownedBy(customer).active().withServer().create(t.db);
  const stopped = await anAgent().ownedBy(customer).paused().withServer().create(t.db);
  return { customer, customerId: customer.user.stripeCustomerId!, agentIds: [running.id, stopped.id] };
}

const operationsOf = (agentIds: string[]) => t.db.operation.findMany({ where: { agentId: { in: agentIds } }, orderBy: { createdAt: 'asc' } });

describe('verified events', () => {
  it('destroys every live agent of a cancelled customer, running or stopped, and enqueues the destroys', async () => {
    const { customerId, agentIds } = await aCustomerWithAgents();

    const answer = await deliver(stripeEvent('customer.subscription.deleted', subscription(customerId, 'canceled')));

    expect(answer.status).toBe(200);
    expect(answer.body).toEqual({ received: true });
    const operations = await operationsOf(agentIds);
    expect(operations.map((operation) => [operation.kind, operation.source])).toEqual([
      ['destroy', 'stripe'],
      ['destroy', 'stripe'],
    ]);
    const jobs = await waitingJobs(t.queues);
    for (const operation of operations) expect(jobs).toContainEqual({ name: 'agent.destroy', operationId: operation.id });
    expect((await t.db.agent.findMany({ where: { id: { in: agentIds } } })).map((agent) => agent.status)).toEqual(['destroying', 'destroying']);
  });

  it('acts once on a redelivered event', async () => {
    const { customerId, agentIds } = await aCustomerWithAgents();
    const payload = stripeEvent('invoice.payment_failed', invoice(customerId));

    const first = await deliver(payload);
    const jobs = await totalJobs(t.queues);
    const before = await databaseState(t.db);
    const again = await deliver(payload, stripeHeaders(payload));

    expect([first.status, again.status]).toEqual([200, 200]);
    expect(again.body).toEqual({ received: true });
    expect((await operationsOf(agentIds)).map((operation) => operation.kind)).toEqual(['suspend']);
    expect(await totalJobs(t.queues)).toBe(jobs);
    expect(await databaseState(t.db)).toEqual(before);
  });

  it('answers 200 for ignored types and unknown customers and records no operation', async () => {
    const { customerId, agentIds } = await aCustomerWithAgents();
    const jobs = await totalJobs(t.queues);
    const operations = await t.db.operation.count();

    const ignored = await deliver(stripeEvent('charge.succeeded', { id: 'ch_1', object: 'charge', customer: customerId }));
    const unknown = await deliver(stripeEvent('customer.subscription.deleted', subscription('cus_nobody', 'canceled')));

    expect([ignored.status, unknown.status]).toEqual([200, 200]);
    expect(ignored.body).toEqual({ received: true });
    expect(unknown.body).toEqual({ received: true });
    expect(await t.db.operation.count()).toBe(operations);
    expect(await totalJobs(t.queues)).toBe(jobs);
    expect((await t.db.agent.findMany({ where: { id: { in: agentIds } } })).map((agent) => agent.status).sort()).toEqual(['active', 'paused']);
  });
});

describe('the subscription mirror', () => {
  it('records the quantity a subscription event gives and keeps it through an invoice that does not say it', async () => {
    const customer = await aUser().withStripeCustomer().create(t.db);
    const customerId = customer.user.stripeCustomerId!;
    const now = Math.floor(Date.now() / 1000);
    const withItems = { ...subscription(customerId, 'active'), items: { data: [{ quantity: 2, current_period_end: 1_900_000_000 }, { quantity: 1, current_period_end: 1_900_000_000 }], has_more: false } };

    expect((await deliver(stripeEvent('customer.subscription.created', withItems, { created: now - 10 }))).status).toBe(200);
    expect((await deliver(stripeEvent('invoice.paid', invoice(customerId), { created: now }))).status).toBe(200);

    expect(await t.db.subscription.findUniqueOrThrow({ where: { id: `sub_${customerId}` } })).toMatchObject({ status: 'active', quantity: 3, currentPeriodEnd: new Date(1_900_000_000_000) });
  });
});

describe('events out of order', () => {
  it('leaves agents destroyed when an older payment failure arrives after the cancellation: destroys only, no suspend', async () => {
    const { customerId, agentIds } = await aCustomerWithAgents();
    const now = Math.floor(Date.now() / 1000);

    const deleted = await deliver(stripeEvent('customer.subscription.deleted', subscription(customerId, 'canceled'), { created: now }));
    const olderFailure = await deliver(stripeEvent('invoice.payment_failed', invoice(customerId), { created: now - 60 }));

    expect([deleted.status, olderFailure.status]).toEqual([200, 200]);
    expect((await operationsOf(agentIds)).map((operation) => operation.kind)).toEqual(['destroy', 'destroy']);
    expect((await t.db.agent.findMany({ where: { id: { in: agentIds } } })).map((agent) => agent.status)).toEqual(['destroying', 'destroying']);
  });

  it('resumes after a payment failure followed by a newer paid invoice, and ignores an older failure after that', async () => {
    const customer = await aUser().withStripeCustomer().create(t.db);
    const agent = await anAgent().ownedBy(customer).active().withServer().create(t.db);
    const customerId = customer.user.stripeCustomerId!;
    const now = Math.floor(Date.now() / 1000);

    await deliver(stripeEvent('invoice.payment_failed', invoice(customerId), { created: now - 120 }));
    await deliver(stripeEvent('invoice.paid', invoice(customerId), { created: now - 60 }));
    const stale = await deliver(stripeEvent('invoice.payment_failed', invoice(customerId), { created: now - 90 }));

    expect(stale.status).toBe(200);
    expect((await operationsOf([agent.id])).map((operation) => operation.kind)).toEqual(['suspend', 'resume']);
    expect((await t.db.subscription.findUniqueOrThrow({ where: { id: `sub_${customerId}` } })).status).toBe('active');
  });
});

describe('refused deliveries', () => {
  const now = () => Math.floor(Date.now() / 1000);
  // The customer every forged delivery aims at: its agent must stay untouched.
  beforeAll(async () => {
    const target = await aUser().withStripeCustomer('cus_target').create(t.db);
    await anAgent().ownedBy(target).active().create(t.db);
  });

  it.each<[string, () => { payload: string; headers: Record<string, string> }, string]>([
    [
      'a tampered body',
      () => {
        const payload = stripeEvent('customer.subscription.deleted', subscription('cus_victim', 'canceled'));
        return { payload: payload.replace('cus_victim', 'cus_target'), headers: stripeHeaders(payload) };
      },
      'invalid_signature',
    ],
    ['a wrong secret', () => ((payload) => ({ payload, headers: stripeHeaders(payload, { secret: 'whsec_wrong' }) }))(stripeEvent('customer.subscription.deleted', subscription('cus_target', 'canceled'))), 'invalid_signature'],
    ['a timestamp older than 300 s', () => ((payload) => ({ payload, headers: stripeHeaders(payload, { timestamp: now() - 301 }) }))(stripeEvent('customer.subscription.deleted', subscription('cus_target', 'canceled'))), 'invalid_signature'],
    ['no signature header', () => ({ payload: stripeEvent('customer.subscription.deleted', subscription('cus_target', 'canceled')), headers: { 'content-type': 'application/json' } }), 'invalid_signature'],
    ['a malformed signature header', () => ({ payload: stripeEvent('customer.subscription.deleted', subscription('cus_target', 'canceled')), headers: { 'content-type': 'application/json', 'stripe-signature': 'v1=deadbeef,t=nope' } }), 'invalid_signature'],
    ['signed malformed JSON', () => ((payload) => ({ payload, headers: stripeHeaders(payload) }))('{"id": "evt_1", "type": '), 'invalid_json'],
    ['a signed body that is not an event', () => ((payload) => ({ payload, headers: stripeHeaders(payload) }))('{"id": "evt_1", "created": "yesterday"}'), 'validation_failed'],
    ['a signed event carrying NUL characters', () => ((payload) => ({ payload, headers: stripeHeaders(payload) }))(stripeEvent('customer.subscription.deleted', subscription('cus_target\u0000', 'canceled'))), 'invalid_event'],
  ])('refuses %s with 400 and changes nothing', async (_case, build, code) => {
    const before = await databaseState(t.db);
    const jobs = await totalJobs(t.queues);
    const { payload, headers } = build();

    const answer = await deliver(payload, headers);

    expect(answer.status).toBe(400);
    expect(answer.body.error?.code).toBe(code);
    expect(await databaseState(t.db)).toEqual(before);
    expect(await totalJobs(t.queues)).toBe(jobs);
  });

  it('verifies the exact bytes: a re-serialised body does not verify', async () => {
    const payload = stripeEvent('customer.subscription.deleted', subscription('cus_target', 'canceled'));
    const pretty = JSON.stringify(JSON.parse(payload), null, 2);
    const answer = await deliver(pretty, { 'content-type': 'application/json', 'stripe-signature': stripeSignature(payload) });
    expect(answer.status).toBe(400);
    expect(answer.body.error?.code).toBe('invalid_signature');
  });
});
