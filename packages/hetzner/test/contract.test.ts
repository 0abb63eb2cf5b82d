// The adapter reads Hetzner's answers as documented today (packages/testing/contracts/hetzner):
// each one fed to it as the answer of a stub server, plus the same answers stripped of fields
// it can do without (it must not throw) and of a field it needs (it must say which).
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { PermanentError, RateLimitedError, RetryableError } from '@agent-lifecycle/errors';
import { createHetznerCloud } from '@agent-lifecycle/hetzner';
import type { Cloud } from '@agent-lifecycle/lifecycle';
import { hetznerAnswer, hetznerContract, rejectionOf, removedHetznerFields, shapeDifferences, type HetznerContractAnswer } from '@agent-lifecycle/testing';

/** A stand-in for api.hetzner.cloud that gives every request the same answer, and remembers the requests. */
let stub: Server;
let answer: { status: number; headers: Record<string, string>; body: unknown };
const requests: string[] = [];

beforeAll(async () => {
  stub = createServer((req, res) => {
    requests.push(`${req.method} ${req.url}`);
    res.writeHead(answer.status, { 'content-type': 'application/json', ...answer.headers }).end(JSON.stringify(answer.body));
  });
  await new Promise<void>((resolve) => stub.listen(0, '127.0.0.1', resolve));
});

afterAll(async () => {
  stub.closeAllConnections();
  await new Promise((resolve) => stub.close(resolve));
});

beforeEach(() => {
  requests.length = 0;
});

function answering(contract: HetznerContractAnswer | { status: number; headers?: Record<string, string>; body: unknown }): Cloud {
  answer = { status: contract.status, headers: contract.headers ?? {}, body: contract.body };
  return createHetznerCloud({ token: 'contract-token', endpoint: `http://127.0.0.1:${(stub.address() as AddressInfo).port}/v1` });
}

/** A deep copy of `value` without the field at `path` (dots and [index]). */
function without(value: unknown, path: string): unknown {
  const copy = structuredClone(value) as Record<string, unknown>;
  const parts = path.replace(/\[(\d+)\]/g, '.$1').split('.');
  let node: Record<string, unknown> = copy;
  for (const part of parts.slice(0, -1)) node = node[part] as Record<string, unknown>;
  delete node[parts[parts.length - 1]!];
  return copy;
}

describe('the documented answers themselves', () => {
  it('carry no field the API has removed, and each names the request it answers', () => {
    const contract = hetznerContract();
    expect(Object.keys(contract).length).toBeGreaterThanOrEqual(17);
    for (const [name, documented] of Object.entries(contract)) {
      expect([name, shapeDifferences(documented.body, documented.body)]).toEqual([name, []]);
      expect(documented.request).toMatch(/^(GET|POST|PUT|DELETE) \//);
    }
    expect(removedHetznerFields()).toContain('datacenter');
    expect(JSON.stringify(hetznerAnswer('server').body)).not.toContain('datacenter');
  });
});

describe('the adapter on each documented answer', () => {
  it('reads a server with location and no datacenter', async () => {
    const server = await answering(hetznerAnswer('server')).getServer(115837421005);
    expect(server).toEqual({
      id: 115837421005,
      name: 'agent-cm4x1a2b3c',
      status: 'running',
      labels: { 'managed-by': 'agent-lifecycle', 'agent-id': 'cm4x1a2b3c', 'job-id': 'cm4x1a2b3d' },
      ipv4: '203.0.113.17',
      serverType: 'cx22',
      location: 'fsn1',
    });
    expect(requests).toEqual(['GET /v1/servers/115837421005']);
  });

  it('reads a page of servers', async () => {
    const servers = await answering(hetznerAnswer('server-list')).findServers({ 'managed-by': 'agent-lifecycle' });
    expect(servers.map((s) => [s.id, s.status, s.ipv4])).toEqual([
      [115837421005, 'running', '203.0.113.17'],
      [115837421006, 'off', '203.0.113.18'],
    ]);
    expect(requests).toEqual([`GET /v1/servers?label_selector=${encodeURIComponent('managed-by==agent-lifecycle')}&page=1&per_page=50`]);
  });

  it('reads the delete answer as the delete_server action', async () => {
    expect(await answering(hetznerAnswer('delete-server')).deleteServer(115837421005)).toEqual({ id: 612987000000111, command: 'delete_server', status: 'running', progress: 0, error: null });
  });

  it.each([
    ['action-running', { id: 612987000000121, command: 'shutdown', status: 'running', progress: 40, error: null }],
    ['action-success', { id: 612987000000122, command: 'poweroff', status: 'success', progress: 100, error: null }],
    ['action-error', { id: 612987000000123, command: 'poweron', status: 'error', progress: 100, error: { code: 'server_error', message: 'Cannot start server', retryable: true } }],
  ])('reads %s in the words of the port', async (name, expected) => {
    expect(await answering(hetznerAnswer(name)).getAction(Number((expected as { id: number }).id))).toEqual(expected);
  });

  it('reads a page of actions asked for by id, in one request', async () => {
    const actions = await answering(hetznerAnswer('actions-page')).getActions([612987000000121, 612987000000122, 612987000000123]);
    expect(actions.map((a) => [a.id, a.status])).toEqual([
      [612987000000121, 'running'],
      [612987000000122, 'success'],
      [612987000000123, 'error'],
    ]);
    expect(requests).toEqual(['GET /v1/actions?id=612987000000121&id=612987000000122&id=612987000000123&per_page=50']);
  });

  it('reads the create answer as the new server and its create_server action', async () => {
    const created = await answering(hetznerAnswer('create-server')).createServer({ name: 'agent-cm4x1a2b3f', serverType: 'cx22', location: 'fsn1', imageId: 312456000123, labels: {} });
    expect(created.server).toMatchObject({ id: 115837421007, status: 'initializing', serverType: 'cx22', location: 'fsn1' });
    expect(created.action).toEqual({ id: 612987000000101, command: 'create_server', status: 'running', progress: 0, error: null });
    expect(requests).toEqual(['POST /v1/servers']);
  });

  it('reads the create_image answer as the image id and its action', async () => {
    expect(await answering(hetznerAnswer('create-image')).createSnapshot(115837421005, { description: 'x', labels: {} })).toEqual({
      imageId: 312456000123,
      action: { id: 612987000000201, command: 'create_image', status: 'running', progress: 0, error: null },
    });
  });

  it('reads a snapshot, and a page of them', async () => {
    const image = { id: 312456000123, status: 'available', sizeGb: 3.62, labels: { 'managed-by': 'agent-lifecycle', 'agent-id': 'cm4x1a2b3c', purpose: 'hibernation' }, createdFrom: { id: 115837421005, name: 'agent-cm4x1a2b3c' } };
    expect(await answering(hetznerAnswer('image')).getImage(312456000123)).toEqual(image);
    const found = await answering(hetznerAnswer('image-list')).findImages({ purpose: 'hibernation' });
    expect(found.map((i) => [i.id, i.sizeGb])).toEqual([
      [312456000123, 3.62],
      [312456000124, 5.1],
    ]);
    expect(requests[requests.length - 1]).toBe(`GET /v1/images?type=snapshot&label_selector=${encodeURIComponent('purpose==hibernation')}&page=1&per_page=50`);
  });

  it('reads the 204 of a snapshot delete as deleted', async () => {
    expect(await answering(hetznerAnswer('delete-image')).deleteImage(312456000123)).toBe('deleted');
  });

  it('reads the prices of server types per location and of a snapshot GB', async () => {
    const prices = await answering(hetznerAnswer('pricing')).prices();
    expect(prices.currency).toBe('EUR');
    expect(prices.snapshotPerGbMonth).toBeCloseTo(0.01309, 10);
    expect(prices.serverTypes.map((t) => [t.name, t.location, t.monthlyGross])).toEqual([
      ['cx22', 'fsn1', 4.5101],
      ['cx22', 'nbg1', 4.5101],
      ['cx22', 'hel1', 4.5101],
      ['cx22', 'ash', 5.4145],
    ]);
  });

  it('turns 423 locked into a retryable error', async () => {
    const error = await rejectionOf(answering(hetznerAnswer('error-423-locked')).powerOn(115837421005));
    expect(error).toBeInstanceOf(RetryableError);
    expect((error as RetryableError).code).toBe('locked');
  });

  it('turns 429 into a rate-limit pause until the next request is due, not until the bucket is full', async () => {
    const documented = hetznerAnswer('error-429-rate-limited');
    // The documented headers, with the reset moved to an hour from now: an empty bucket of 3600.
    const reset = Math.floor(Date.now() / 1000) + 3600;
    documented.headers['ratelimit-reset'] = String(reset);
    const before = Date.now();
    const error = await rejectionOf(answering(documented).getServer(115837421005));
    expect(error).toBeInstanceOf(RateLimitedError);
    // The next request is due one 3600th of the way to full: about a second, not an hour.
    const due = (error as RateLimitedError).resetAt.getTime();
    expect(due).toBeGreaterThanOrEqual(before + (reset * 1000 - Date.now()) / 3600 - 1);
    expect(due).toBeLessThanOrEqual(Date.now() + (reset * 1000 - before) / 3600 + 1);
  });

  it('turns 410 Gone into a permanent error with the API’s code', async () => {
    const error = await rejectionOf(answering(hetznerAnswer('error-410-gone')).getServer(1));
    expect(error).toBeInstanceOf(PermanentError);
    expect((error as PermanentError).code).toBe('deprecated_api_endpoint');
  });
});

describe('the adapter on answers that lack fields', () => {
  it.each(['server.labels', 'server.public_net', 'server.public_net.ipv4', 'server.location', 'server.server_type', 'server.image', 'server.created'])(
    'reads a server without %s',
    async (field) => {
      const documented = hetznerAnswer('server');
      const server = await answering({ ...documented, body: without(documented.body, field) }).getServer(115837421005);
      expect(server).toMatchObject({ id: 115837421005, name: 'agent-cm4x1a2b3c', status: 'running' });
    },
  );

  it.each(['action.progress', 'action.error', 'action.started', 'action.finished', 'action.resources'])('reads an action without %s', async (field) => {
    const documented = hetznerAnswer('action-error');
    const action = await answering({ ...documented, body: without(documented.body, field) }).getAction(612987000000123);
    expect(action).toMatchObject({ id: 612987000000123, command: 'poweron', status: 'error', error: { retryable: expect.any(Boolean) } });
  });

  it.each(['image.image_size', 'image.labels', 'image.created_from', 'image.description', 'image.disk_size'])('reads a snapshot without %s', async (field) => {
    const documented = hetznerAnswer('image');
    expect(await answering({ ...documented, body: without(documented.body, field) }).getImage(312456000123)).toMatchObject({ id: 312456000123, status: 'available' });
  });

  it('reads pricing without a currency as euros, and without the other sections it does not need', async () => {
    const documented = hetznerAnswer('pricing');
    let body = without(documented.body, 'pricing.currency');
    for (const field of ['pricing.floating_ips', 'pricing.primary_ips', 'pricing.volume', 'pricing.load_balancer_types']) body = without(body, field);
    expect((await answering({ ...documented, body }).prices()).currency).toBe('EUR');
  });

  it('reads a status it does not know yet as unknown', async () => {
    const documented = hetznerAnswer('server');
    (documented.body as { server: { status: string } }).server.status = 'hibernating';
    expect((await answering(documented).getServer(115837421005))?.status).toBe('unknown');
  });

  it.each([
    ['server', 'server.id', (cloud: Cloud) => cloud.getServer(115837421005)],
    ['server', 'server.name', (cloud: Cloud) => cloud.getServer(115837421005)],
    ['server-list', 'servers[1].status', (cloud: Cloud) => cloud.findServers({})],
    ['action-success', 'action.status', (cloud: Cloud) => cloud.getAction(612987000000122)],
    ['actions-page', 'actions[0].command', (cloud: Cloud) => cloud.getActions([612987000000121])],
    ['image', 'image.status', (cloud: Cloud) => cloud.getImage(312456000123)],
    ['create-image', 'image.id', (cloud: Cloud) => cloud.createSnapshot(1, { description: '', labels: {} })],
    ['pricing', 'pricing.image.price_per_gb_month.gross', (cloud: Cloud) => cloud.prices()],
    ['pricing', 'pricing.server_types[0].prices[2].location', (cloud: Cloud) => cloud.prices()],
  ] as const)('answers %s without %s with unexpected_response naming the field', async (name, field, read) => {
    const documented = hetznerAnswer(name);
    const error = await rejectionOf(read(answering({ ...documented, body: without(documented.body, field) })));
    expect(error).toBeInstanceOf(PermanentError);
    expect((error as PermanentError).code).toBe('unexpected_response');
    expect(error.message).toContain(`field ${field}:`);
  });
});
