// Requests racing each other: concurrent requests with one Idempotency-Key get one operation,
// concurrent destroys destroy once, and a payment failure accepted while a user's start is
// being accepted still leaves the agent suspended at the end (billing wins).
import { aUser, anAgent, type UserWithToken } from './support/builders';
import { call } from './support/http';
import { startTestIngress, waitingJobs, type TestIngress } from './support/ingress-fixture';
import { stripeEvent, stripeHeaders } from './support/signing';

interface Answer {
  operation?: { id: string; kind: string };
  agent?: { id: string };
  error?: { code: string };
}

let t: TestIngress;
let owner: UserWithToken;
beforeAll(async () => {
  t = await startTestIngress();
  owner = await aUser().withStripeCustomer().create(t.db);
});
afterAll(() => t.close());

const CONCURRENT = 8;
const post = (token: string, path: string, options: Parameters<typeof call>[3] = {}) => call<Answer>(t.url, 'POST', path, { token, ...options });
const together = <T>(count: number, send: () => Promise<T>) => Promise.all(Array.from({ length: count }, send));

describe('one Idempotency-Key sent concurrently', () => {
  it.each([
    ['stop', () => anAgent().ownedBy(owner).active()],
    ['start', () => anAgent().ownedBy(owner).paused()],
    ['destroy', () => anAgent().ownedBy(owner).active()],
  ] as const)('answers every concurrent %s with the same operation, recorded and enqueued once', async (kind, agentInState) => {
    const agent = await agentInState().create(t.db);
    const headers = { 'idempotency-key': `${kind}-${agent.id}` };

    const answers = await together(CONCURRENT, () => post(owner.token, `/api/agents/${agent.id}/${kind}`, { headers }));

    expect(answers.map((answer) => answer.status)).toEqual(Array(CONCURRENT).fill(202));
    const ids = new Set(answers.map((answer) => answer.body.operation?.id));
    expect(ids.size).toBe(1);
    const operations = await t.db.operation.findMany({ where: { agentId: agent.id } });
    expect(operations.map((operation) => operation.kind)).toEqual([kind]);
    expect((await waitingJobs(t.queues)).filter((job) => ids.has(job.operationId))).toHaveLength(1);
  });

  it('answers every concurrent creation with the same agent and operation, created once', async () => {
    const name = `racing ${Date.now()}`;
    const headers = { 'idempotency-key': `create-${name.replaceAll(' ', '-')}` };

    const answers = await together(CONCURRENT, () => post(owner.token, '/api/agents', { headers, json: { name } }));

    expect(answers.map((answer) => answer.status)).toEqual(Array(CONCURRENT).fill(202));
    expect(new Set(answers.map((answer) => answer.body.agent?.id)).size).toBe(1);
    expect(new Set(answers.map((answer) => answer.body.operation?.id)).size).toBe(1);
    expect(await t.db.agent.count({ where: { name } })).toBe(1);
    expect(await t.db.provisioningJob.count({ where: { agent: { name } } })).toBe(1);
  });
});

it('accepts one of several concurrent destroys without a key and refuses the others with 409 agent_destroyed', async () => {
  const agent = await anAgent().ownedBy(owner).active().create(t.db);

  const answers = await together(CONCURRENT, () => post(owner.token, `/api/agents/${agent.id}/destroy`));

  const statuses = answers.map((answer) => answer.status).sort();
  expect(statuses).toEqual([202, ...Array(CONCURRENT - 1).fill(409)]);
  expect(answers.filter((answer) => answer.status === 409).map((answer) => answer.body.error?.code)).toEqual(Array(CONCURRENT - 1).fill('agent_destroyed'));
  expect(await t.db.operation.count({ where: { agentId: agent.id, kind: 'destroy' } })).toBe(1);
});

describe('billing wins at acceptance', () => {
  const invoice = (customer: UserWithToken) => ({ object: 'invoice', customer: customer.user.stripeCustomerId, parent: { subscription_details: { subscription: `sub_${customer.user.id}` } } });
  const deliver = (payload: string) => call(t.url, 'POST', '/api/webhooks/stripe', { raw: payload, headers: stripeHeaders(payload) });

  it('suspends, after it, an agent whose start is still pending when the payment fails', async () => {
    const customer = await aUser().withStripeCustomer().create(t.db);
    const agent = await anAgent().ownedBy(customer).paused().create(t.db);
    expect((await post(customer.token, `/api/agents/${agent.id}/start`)).status).toBe(202);

    expect((await deliver(stripeEvent('invoice.payment_failed', invoice(customer)))).status).toBe(200);

    const operations = await t.db.operation.findMany({ where: { agentId: agent.id }, orderBy: { createdAt: 'asc' } });
    expect(operations.map((operation) => [operation.kind, operation.status])).toEqual([
      ['start', 'queued'],
      ['suspend', 'queued'],
    ]);
  });

  it('leaves no start without a later suspend when a start and a payment failure race', async () => {
    for (let round = 0; round < 6; round += 1) {
      const customer = await aUser().withStripeCustomer().create(t.db);
      const agent = await anAgent().ownedBy(customer).paused().create(t.db);

      const [start, failed] = await Promise.all([post(customer.token, `/api/agents/${agent.id}/start`), deliver(stripeEvent('invoice.payment_failed', invoice(customer)))]);

      expect(failed.status).toBe(200);
      const kinds = (await t.db.operation.findMany({ where: { agentId: agent.id }, orderBy: [{ createdAt: 'asc' }, { id: 'asc' }] })).map((operation) => operation.kind);
      if (start.status === 202) expect(kinds).toEqual(['start', 'suspend']);
      else {
        expect([start.status, start.body.error?.code]).toEqual([409, 'billing_suspended']);
        expect(kinds).toEqual([]);
      }
    }
  });
});
