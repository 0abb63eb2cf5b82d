// Every hot path at the floor: each statement is a round trip to PostgreSQL, counted through
// the ingress's own pool, so a query that creeps back in fails here.
import { randomUUID } from 'node:crypto';
import { aUser, anAgent, type UserWithToken } from './support/builders';
import { call } from './support/http';
import { startTestIngress, type TestIngress } from './support/ingress-fixture';
import { callbackHeaders, stripeEvent, stripeHeaders } from './support/signing';

let t: TestIngress;
let owner: UserWithToken;
beforeAll(async () => {
  t = await startTestIngress({ countRoundTrips: true });
  owner = await aUser().withStripeCustomer().create(t.db);
});
afterAll(() => t.close());

/** The statements the ingress sent while answering `request`, and its answer. */
async function roundTripsOf<T>(request: () => Promise<T>): Promise<{ answer: T; statements: string[] }> {
  const before = t.roundTrips().length;
  const answer = await request();
  return { answer, statements: t.roundTrips().slice(before) };
}

/** At most `target` statements, and at least the one that wrote (so the counting itself works). */
function expectAtMost(statements: string[], target: number): void {
  expect(statements.length).toBeGreaterThan(0);
  expect(statements.length).toBeLessThanOrEqual(target);
}

const post = (path: string, options: Parameters<typeof call>[3] = {}) => call<{ operation?: { id: string; kind: string } }>(t.url, 'POST', path, { token: owner.token, ...options });

describe('user requests, token check included', () => {
  it.each([
    ['stop', () => anAgent().ownedBy(owner).active()],
    ['start', () => anAgent().ownedBy(owner).paused()],
    ['destroy', () => anAgent().ownedBy(owner).active()],
  ] as const)('accepts a %s in at most 3 round trips', async (kind, agentInState) => {
    const agent = await agentInState().create(t.db);

    const { answer, statements } = await roundTripsOf(() => post(`/api/agents/${agent.id}/${kind}`, { headers: { 'idempotency-key': randomUUID() } }));

    expect(answer.status).toBe(202);
    expect(await t.db.operation.count({ where: { agentId: agent.id, kind } })).toBe(1);
    expectAtMost(statements, 3);
  });

  it('accepts a new agent in at most 3 round trips', async () => {
    const { answer, statements } = await roundTripsOf(() => post('/api/agents', { json: { name: 'counted' } }));

    expect(answer.status).toBe(202);
    expect(answer.body.operation?.kind).toBe('provision');
    expectAtMost(statements, 3);
  });

  it('replays an Idempotency-Key in at most 2 round trips', async () => {
    const agent = await anAgent().ownedBy(owner).active().create(t.db);
    const headers = { 'idempotency-key': randomUUID() };
    const first = await post(`/api/agents/${agent.id}/stop`, { headers });

    const { answer, statements } = await roundTripsOf(() => post(`/api/agents/${agent.id}/stop`, { headers }));

    expect(answer.body.operation?.id).toBe(first.body.operation?.id);
    expectAtMost(statements, 2);
  });
});

describe('webhooks', () => {
  it('applies a Stripe payment failure to a customer with agents in at most 3 round trips', async () => {
    const customer = await aUser().withStripeCustomer().create(t.db);
    const agents = [await anAgent().ownedBy(customer).active().create(t.db), await anAgent().ownedBy(customer).active().create(t.db), await anAgent().ownedBy(customer).paused().create(t.db)];
    const payload = stripeEvent('invoice.payment_failed', { object: 'invoice', customer: customer.user.stripeCustomerId, parent: { subscription_details: { subscription: `sub_${customer.user.id}` } } });

    const { answer, statements } = await roundTripsOf(() => call(t.url, 'POST', '/api/webhooks/stripe', { raw: payload, headers: stripeHeaders(payload) }));

    expect(answer.status).toBe(200);
    expect(await t.db.operation.count({ where: { agentId: { in: agents.map((agent) => agent.id) }, kind: 'suspend' } })).toBe(2);
    expectAtMost(statements, 3);
  });

  it('applies a Stripe cancellation in at most 3 round trips', async () => {
    const customer = await aUser().withStripeCustomer().create(t.db);
    const agent = await anAgent().ownedBy(customer).paused().create(t.db);
    const payload = stripeEvent('customer.subscription.deleted', { id: `sub_${customer.user.id}`, object: 'subscription', customer: customer.user.stripeCustomerId, status: 'canceled' });

    const { answer, statements } = await roundTripsOf(() => call(t.url, 'POST', '/api/webhooks/stripe', { raw: payload, headers: stripeHeaders(payload) }));

    expect(answer.status).toBe(200);
    expect((await t.db.agent.findUniqueOrThrow({ where: { id: agent.id } })).status).toBe('destroying');
    expectAtMost(statements, 3);
  });

  it.each(['completed', 'failed'] as const)('applies a %s provisioning callback in at most 3 round trips', async (status) => {
    const created = await post('/api/agents', { json: { name: `callback ${status}` } });
    const job = await t.db.provisioningJob.findFirstOrThrow({ where: { operations: { some: { id: created.body.operation?.id } } } });
    const body = JSON.stringify({ job_id: job.id, status, step: 'bootstrap', ...(status === 'completed' ? { server_id: 31_337, ipv4: '198.51.100.9' } : { error: 'no capacity' }) });

    const { answer, statements } = await roundTripsOf(() => call(t.url, 'POST', '/api/webhooks/github', { raw: body, headers: callbackHeaders(body) }));

    expect(answer.status).toBe(200);
    expect((await t.db.provisioningJob.findUniqueOrThrow({ where: { id: job.id } })).status).toBe(status);
    expectAtMost(statements, 3);
  });
});
