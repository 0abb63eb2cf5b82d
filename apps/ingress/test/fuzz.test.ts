// A seeded fuzz run: a few thousand random requests (paths, methods, headers, bodies,
// signatures) against the webhooks and the user API. Whatever arrives, the ingress must
// answer below 500 with a JSON error body, and must not create or enqueue an operation.
import { aUser, anAgent, type UserWithToken } from './support/builders';
import { rawRequest } from './support/http';
import { startTestIngress, totalJobs, type TestIngress } from './support/ingress-fixture';
import { Prng } from './support/prng';
import { CALLBACK_SECRET, callbackSignature, stripeSignature } from './support/signing';

const SEED = 0x5eed_2026;
const REQUESTS = 2_500;
const CONCURRENCY = 16;

const PRINTABLE = ' !"#$%&\'()*+,-./0123456789:;<=>?@ABCDEFGHIJKLMNOPQRSTUVWXYZ[\\]^_`abcdefghijklmnopqrstuvwxyz{|}~';
const PATH_SAFE = 'abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789-_.~%!$&\'()*+,;=:@/';
const KEYS = ['name', 'job_id', 'status', 'step', 'server_id', 'tailscale_device_id', 'tailscale_hostname', 'ipv4', 'error', 'id', 'type', 'created', 'data', 'object', 'customer', 'subscription', 'parent', 'items', '__proto__', 'constructor', ''];
const STRINGS = ['', ' ', 'active', 'running', 'completed', 'failed', 'canceled', 'past_due', 'cus_fuzz', 'sub_fuzz', '\u0000', '\ud800', '💥', '../../etc/passwd', "'; DROP TABLE \"Agent\";--", 'a'.repeat(300), '1.2.3.4', '300.1.1.1'];
const NUMBERS = [0, -1, 1, 1.5, 2 ** 31, 2 ** 53, 1e21, -1e308, 1e308, Number.MAX_SAFE_INTEGER + 2];
const STRIPE_TYPES = ['customer.subscription.deleted', 'customer.subscription.created', 'customer.subscription.updated', 'invoice.payment_failed', 'invoice.paid', 'charge.succeeded', '', 'X'];
const CONTENT_TYPES = ['application/json', 'application/json; charset=utf-8', 'application/json; charset=latin1', 'text/plain', 'application/x-www-form-urlencoded', 'multipart/form-data; boundary=x', 'application/merge-patch+json', ''];
const METHODS = ['GET', 'POST', 'POST', 'POST', 'PUT', 'DELETE', 'PATCH', 'HEAD', 'OPTIONS'];

function jsonValue(random: Prng, depth: number): unknown {
  const kind = random.int(depth > 3 ? 4 : 7);
  switch (kind) {
    case 0:
      return null;
    case 1:
      return random.chance(0.5);
    case 2:
      return random.pick(NUMBERS);
    case 3:
      return random.chance(0.5) ? random.pick(STRINGS) : random.string(20, PRINTABLE);
    case 4:
      return Array.from({ length: random.int(4) }, () => jsonValue(random, depth + 1));
    default: {
      const object: Record<string, unknown> = {};
      for (let i = random.int(6); i > 0; i -= 1) object[random.chance(0.8) ? random.pick(KEYS) : random.string(8, PRINTABLE)] = jsonValue(random, depth + 1);
      return object;
    }
  }
}

/** Bytes that are JSON, almost JSON, or not JSON at all. */
function body(random: Prng): string {
  const text = JSON.stringify(jsonValue(random, 0)) ?? 'null';
  switch (random.int(6)) {
    case 0:
      return text.slice(0, random.int(text.length + 1));
    case 1:
      return random.string(80, PRINTABLE);
    case 2:
      return '';
    default:
      return text;
  }
}

function stripeLikeEvent(random: Prng): string {
  const object = (jsonValue(random, 2) ?? {}) as Record<string, unknown>;
  const event = {
    id: random.chance(0.8) ? `evt_fuzz_${random.int(1e9)}` : jsonValue(random, 3),
    object: 'event',
    type: random.pick(STRIPE_TYPES),
    created: random.chance(0.7) ? Math.floor(Date.now() / 1000) - random.int(1000) : random.pick(NUMBERS),
    data: random.chance(0.8) ? { object: typeof object === 'object' && object !== null ? { ...object, customer: `cus_fuzz_${random.int(1e6)}` } : object } : jsonValue(random, 2),
  };
  return JSON.stringify(event);
}

function callbackLikeBody(random: Prng): string {
  const fields: Record<string, unknown> = { job_id: random.chance(0.8) ? `cjfuzz${random.int(1e9)}` : jsonValue(random, 3), status: random.pick(['running', 'completed', 'failed', 'done', '']) };
  for (const key of ['step', 'server_id', 'tailscale_device_id', 'tailscale_hostname', 'ipv4', 'error']) if (random.chance(0.4)) fields[key] = jsonValue(random, 3);
  return JSON.stringify(fields);
}

function randomPath(random: Prng, agentIds: string[]): string {
  const id = random.chance(0.5) ? random.pick(agentIds) : random.chance(0.5) ? random.string(70, PATH_SAFE).replace(/\//g, '') || 'x' : random.pick(['%00', '%zz', '%E0%A4%A', '%F0%9F%92%A5', '..', '%2e%2e', 'x'.repeat(100)]);
  return random.pick([
    `/api/agents/${id}`,
    `/api/agents/${id}/${random.pick(['stop', 'start', 'destroy', 'reboot', ''])}`,
    `/api/operations/${id}`,
    '/api/agents',
    '/api/webhooks/stripe',
    '/api/webhooks/github',
    `/admin/queues/${random.pick(['', 'api/queues', 'api/queues/hetzner/pause'])}`,
    `/${random.string(40, PATH_SAFE)}`,
    `/api/agents?${random.string(30, PATH_SAFE)}`,
  ]);
}

interface FuzzRequest {
  method: string;
  path: string;
  headers: Record<string, string>;
  body: string;
}

function aRequest(random: Prng, ctx: { tokens: string[]; agentIds: string[] }): FuzzRequest {
  const now = Math.floor(Date.now() / 1000);
  const headers: Record<string, string> = {};
  const contentType = random.chance(0.7) ? 'application/json' : random.pick(CONTENT_TYPES);
  if (contentType) headers['content-type'] = contentType;
  if (random.chance(0.1)) headers['x-request-id'] = random.string(40, PRINTABLE);
  if (random.chance(0.2)) headers['idempotency-key'] = random.string(300, PRINTABLE).trim() || 'k';

  const target = random.int(10);
  if (target < 3) {
    // Stripe: mostly event-shaped bodies; half of them correctly signed (for unknown customers).
    const payload = random.chance(0.7) ? stripeLikeEvent(random) : body(random);
    const choice = random.int(5);
    if (choice === 0) headers['stripe-signature'] = random.string(120, PRINTABLE).trim();
    else if (choice === 1) headers['stripe-signature'] = stripeSignature(payload, { secret: 'whsec_wrong' });
    else if (choice === 2) headers['stripe-signature'] = stripeSignature(payload, { timestamp: now - 301 - random.int(1e6) });
    else headers['stripe-signature'] = stripeSignature(payload);
    return { method: random.chance(0.9) ? 'POST' : random.pick(METHODS), path: '/api/webhooks/stripe', headers, body: payload };
  }
  if (target < 6) {
    // Provisioning callbacks: unknown jobs only, signed well or badly.
    const payload = random.chance(0.7) ? callbackLikeBody(random) : body(random);
    const timestamp = random.chance(0.7) ? now : random.chance(0.5) ? now + random.pick([-301, 301, -1e6, 1e9]) : Number.NaN;
    const choice = random.int(5);
    if (choice !== 0) headers['x-callback-timestamp'] = Number.isNaN(timestamp) ? random.string(15, PRINTABLE).trim() : String(timestamp);
    if (choice === 1) headers['x-hub-signature-256'] = `sha256=${random.string(64, '0123456789abcdefgh')}`;
    else if (choice === 2) headers['x-hub-signature-256'] = callbackSignature(payload, timestamp, 'wrong-secret');
    else if (choice >= 3) headers['x-hub-signature-256'] = callbackSignature(payload, Number.isNaN(timestamp) ? now : timestamp, CALLBACK_SECRET);
    if (random.chance(0.8)) headers['x-delivery-id'] = random.string(140, PRINTABLE).trim() || 'd';
    return { method: 'POST', path: '/api/webhooks/github', headers, body: payload };
  }
  // The user API and everything else: random tokens, or the token of a user who can change nothing.
  const auth = random.int(5);
  if (auth === 0) headers.authorization = `Bearer ${random.string(60, PRINTABLE).trim()}`;
  else if (auth === 1) headers.authorization = `Basic ${Buffer.from(random.string(20, PRINTABLE)).toString('base64')}`;
  else if (auth >= 3) headers.authorization = `Bearer ${random.pick(ctx.tokens)}`;
  const payload = random.chance(0.3) ? '' : random.chance(0.2) ? JSON.stringify({ name: random.string(10, 'abc -_') || 'n' }) : body(random);
  return { method: random.pick(METHODS), path: randomPath(random, ctx.agentIds), headers, body: payload };
}

let t: TestIngress;
let blocked: UserWithToken;
let agentIds: string[];

beforeAll(async () => {
  t = await startTestIngress({ app: { rateLimit: { limit: 1_000_000, failedAuthLimit: 1_000_000 } } });
  // The only valid token: its account is past due (no new agent) and its agents are destroyed
  // (no stop, start or destroy), so even a well-formed request cannot create an operation.
  blocked = await aUser().withStripeCustomer().create(t.db);
  await t.db.subscription.create({ data: { id: 'sub_blocked', userId: blocked.user.id, status: 'past_due', lastEventAt: new Date() } });
  agentIds = [];
  for (let i = 0; i < 3; i += 1) agentIds.push((await anAgent().ownedBy(blocked).destroyed().create(t.db)).id);
});
afterAll(() => t.close());

it(`answers ${REQUESTS} random requests (seed ${SEED}) below 500, with JSON errors, and creates no operation`, async () => {
  const random = new Prng(SEED);
  const requests = Array.from({ length: REQUESTS }, () => aRequest(random, { tokens: [blocked.token], agentIds }));
  const statuses = new Map<number, number>();
  const failures: string[] = [];

  for (let start = 0; start < requests.length; start += CONCURRENCY) {
    await Promise.all(
      requests.slice(start, start + CONCURRENCY).map(async (request, offset) => {
        const answer = await rawRequest(t.port, request.method, request.path, { ...request.headers, 'content-length': String(Buffer.byteLength(request.body)) }, request.body);
        statuses.set(answer.status, (statuses.get(answer.status) ?? 0) + 1);
        const isBoard = request.path.startsWith('/admin/queues') && answer.status < 400;
        let errorCode: unknown;
        if (answer.status >= 400 && request.method !== 'HEAD') {
          try {
            errorCode = (JSON.parse(answer.text) as { error?: { code?: unknown } }).error?.code;
          } catch {
            errorCode = undefined;
          }
        }
        if (answer.status >= 500 || (answer.status >= 400 && request.method !== 'HEAD' && typeof errorCode !== 'string') || (answer.status < 300 && !isBoard && request.method === 'POST' && !request.path.startsWith('/api/webhooks/'))) {
          failures.push(`#${start + offset} ${request.method} ${request.path} → ${answer.status} ${answer.text.slice(0, 200)}`);
        }
      }),
    );
  }

  expect(failures).toEqual([]);
  expect([...statuses.keys()].every((status) => status < 500)).toBe(true);
  expect(await t.db.operation.count()).toBe(0);
  expect(await totalJobs(t.queues)).toBe(0);
  expect((await t.db.agent.findMany({ where: { id: { in: agentIds } } })).every((agent) => agent.status === 'destroyed')).toBe(true);
  // The run reached past the signature checks and the validation, not just the front door.
  expect(statuses.get(200)).toBeGreaterThan(50);
  expect(statuses.get(400)).toBeGreaterThan(50);
  expect(statuses.get(401)).toBeGreaterThan(50);
  expect(statuses.get(409)).toBeGreaterThan(0);
});
