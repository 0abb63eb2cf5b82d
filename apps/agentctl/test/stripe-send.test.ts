import { createServer, type IncomingHttpHeaders, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import Stripe from 'stripe';
import { createTestDatabase, type TestDatabase } from '@agent-lifecycle/testing';
import { aUser } from './support/builders';
import { agentctl, cliEnvironment, linesOf } from './support/run-cli';

const SECRET = 'whsec_agentctl_test';

interface Delivery {
  path: string;
  headers: IncomingHttpHeaders;
  body: string;
}

/** A stand-in for the ingress's webhook: records what arrives, answers with `status`. */
async function startReceiver(status: number): Promise<{ url: string; deliveries: Delivery[]; close(): Promise<void> }> {
  const deliveries: Delivery[] = [];
  const server: Server = createServer((req, res) => {
    let body = '';
    req.setEncoding('utf8');
    req.on('data', (chunk: string) => (body += chunk));
    req.on('end', () => {
      deliveries.push({ path: req.url ?? '', headers: req.headers, body });
      res.writeHead(status, { 'content-type': 'application/json' });
      res.end(JSON.stringify(status === 200 ? { received: true } : { error: { code: 'invalid_signature', message: 'no' } }));
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return { url: `http://127.0.0.1:${port}`, deliveries, close: () => new Promise((resolve) => server.close(() => resolve())) };
}

/** A port nothing listens on: taken from the system, then released. */
async function freePort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  await new Promise((resolve) => server.close(resolve));
  return port;
}

describe('agentctl stripe send', () => {
  let ok: Awaited<ReturnType<typeof startReceiver>>;
  let refusing: Awaited<ReturnType<typeof startReceiver>>;
  let database: TestDatabase;
  /** The operator's environment: the database where cus_acme is a customer. */
  const env = (overrides: Record<string, string> = {}) => cliEnvironment({ DATABASE_URL: database.url, ...overrides });

  beforeAll(async () => {
    [ok, refusing, database] = await Promise.all([startReceiver(200), startReceiver(400), createTestDatabase()]);
    await aUser(database.db, { email: 'acme@example.com', stripeCustomerId: 'cus_acme' });
  });

  afterAll(async () => {
    await Promise.all([ok.close(), refusing.close(), database.drop()]);
  });

  it("POSTs a correctly signed invoice.payment_failed about the customer's subscription to $PUBLIC_URL/api/webhooks/stripe", async () => {
    const before = Math.floor(Date.now() / 1000);
    const { code, stdout, stderr } = await agentctl(['stripe', 'send', 'invoice.payment_failed', '--customer', 'cus_acme'], env({ PUBLIC_URL: ok.url }));

    expect({ code, stderr }).toEqual({ code: 0, stderr: '' });
    expect(stdout).toMatch(/^Answer\s+200 \{"received":true\}$/m);
    const delivery = ok.deliveries.at(-1);
    expect(delivery?.path).toBe('/api/webhooks/stripe');
    expect(delivery?.headers['content-type']).toBe('application/json');
    const header = String(delivery?.headers['stripe-signature']);
    expect(header).toMatch(/^t=\d+,v1=[0-9a-f]{64}$/);
    // Verified as the ingress verifies it, with Stripe's own code and 300 s tolerance.
    const event = Stripe.webhooks.constructEvent(delivery?.body ?? '', header, SECRET, 300) as unknown as {
      id: string;
      type: string;
      created: number;
      livemode: boolean;
      data: { object: { object: string; customer: string; status: string; parent: { subscription_details: { subscription: string } } } };
    };
    expect(event.id).toMatch(/^evt_[A-Za-z0-9]{24}$/);
    expect(event.type).toBe('invoice.payment_failed');
    expect(event.created).toBeGreaterThanOrEqual(before);
    expect(event.livemode).toBe(false);
    expect(event.data.object).toMatchObject({ object: 'invoice', customer: 'cus_acme', status: 'open', parent: { subscription_details: { subscription: 'sub_acme' } } });
    expect(() => Stripe.webhooks.constructEvent(delivery?.body ?? '', header, 'whsec_someone_else', 300)).toThrow(Stripe.errors.StripeSignatureVerificationError);
  });

  it('sends customer.subscription.deleted as a canceled subscription, reporting it as JSON', async () => {
    const { code, stdout } = await agentctl(
      ['stripe', 'send', 'customer.subscription.deleted', '--customer', 'cus_acme', '--subscription', 'sub_custom', '--url', `${ok.url}/hooks`, '--json'],
      env(),
    );
    expect(code).toBe(0);
    const report = JSON.parse(stdout) as { event: { id: string; type: string; subscription: string }; status: number; response: unknown };
    expect(report).toMatchObject({ event: { type: 'customer.subscription.deleted', subscription: 'sub_custom' }, status: 200, response: { received: true } });
    const delivery = ok.deliveries.at(-1);
    expect(delivery?.path).toBe('/hooks');
    const event = Stripe.webhooks.constructEvent(delivery?.body ?? '', String(delivery?.headers['stripe-signature']), SECRET) as unknown as {
      id: string;
      data: { object: { id: string; object: string; customer: string; status: string; canceled_at: number } };
    };
    expect(event.id).toBe(report.event.id);
    expect(event.data.object).toMatchObject({ id: 'sub_custom', object: 'subscription', customer: 'cus_acme', status: 'canceled' });
    expect(event.data.object.canceled_at).toEqual(expect.any(Number));
  });

  it('fails with exit 1 and one line when the ingress refuses the event or cannot be reached', async () => {
    const closedPort = await freePort();
    const [refused, unreachable] = await Promise.all([
      agentctl(['stripe', 'send', 'invoice.paid', '--customer', 'cus_acme', '--url', `${refusing.url}/api/webhooks/stripe`], env()),
      agentctl(['stripe', 'send', 'invoice.paid', '--customer', 'cus_acme', '--url', `http://127.0.0.1:${closedPort}/api/webhooks/stripe`], env()),
    ]);
    expect(refused.code).toBe(1);
    expect(refused.stdout).toBe('');
    expect(linesOf(refused.stderr)).toEqual([expect.stringMatching(/^The ingress answered 400 to invoice\.paid evt_\w+: \{"error":\{"code":"invalid_signature","message":"no"\}\}$/)]);
    expect(unreachable.code).toBe(1);
    expect(linesOf(unreachable.stderr)).toEqual([`Cannot reach the ingress at http://127.0.0.1:${closedPort}/api/webhooks/stripe (ECONNREFUSED); is \`npm start\` running?`]);
  });

  it('exits 1 without sending anything when no user has the customer, since the ingress would ignore the event', async () => {
    const before = ok.deliveries.length;
    const { code, stdout, stderr } = await agentctl(['stripe', 'send', 'invoice.payment_failed', '--customer', 'cus_nobody', '--url', ok.url], env());
    expect({ code, stdout }).toEqual({ code: 1, stdout: '' });
    expect(linesOf(stderr)).toEqual([
      'No user has Stripe customer cus_nobody, so the ingress would ignore the event (unknown_customer); nothing was sent. Create one with `agentctl user create --email E --stripe-customer cus_nobody`.',
    ]);
    expect(ok.deliveries.length).toBe(before);
  });

  it('refuses an event type it cannot build, and a malformed customer, as usage errors (exit 2)', async () => {
    const [type, customer] = await Promise.all([
      agentctl(['stripe', 'send', 'charge.refunded', '--customer', 'cus_acme', '--url', ok.url], cliEnvironment()),
      agentctl(['stripe', 'send', 'invoice.paid', '--customer', 'acme', '--url', ok.url], cliEnvironment()),
    ]);
    expect(type.code).toBe(2);
    expect(linesOf(type.stderr)).toEqual([
      'agentctl stripe send: unsupported event type "charge.refunded"; choose from customer.subscription.created, customer.subscription.updated, customer.subscription.deleted, invoice.payment_failed, invoice.paid',
    ]);
    expect(customer.code).toBe(2);
    expect(linesOf(customer.stderr)).toEqual(['agentctl stripe send: --customer must look like cus_… (got "acme")']);
  });
});
