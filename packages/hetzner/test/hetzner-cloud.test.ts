// The Cloud port on the simulated Hetzner API over real HTTP: reading and finding servers,
// power actions followed to the end, idempotent deletes, and how each failure is classified.
import { randomUUID } from 'node:crypto';
import { createServer as createHttpServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import Redis from 'ioredis';
import type { CloudSim } from '@agent-lifecycle/cloud-sim';
import { PermanentError, RateLimitedError, RetryableError } from '@agent-lifecycle/errors';
import { createHetznerCloud, createRateBudget, type HetznerCloudOptions, type HetznerObservedRequest, type RateBudget } from '@agent-lifecycle/hetzner';
import type { Cloud, CloudAction } from '@agent-lifecycle/lifecycle';
import {
  addSimHetznerProject,
  createSimServer as createServer,
  eventually,
  simControl as control,
  simRequestCounts as requestCounts,
  startTestSim as startSim,
  rejectionOf,
  testQueuePrefix,
  testRedisUrl,
} from '@agent-lifecycle/testing';

/**
 * A fresh budget key under this run's prefix (swept by the global teardown). The prefix alone
 * repeats when two files share a Jest worker, so a random part keeps buckets apart.
 */
const budgetKey = () => `${testQueuePrefix()}:hetzner-budget-${randomUUID()}`;

let sim: CloudSim;

beforeAll(async () => {
  sim = await startSim();
});

afterAll(async () => {
  await sim.close();
});

beforeEach(async () => {
  await control(sim, 'POST', '/reset');
  await control(sim, 'PUT', '/config', { timeScale: 0.001, rateLimit: { limit: 3600, refillPerSecond: 1 } });
});

/** Each test is its own Hetzner project: its own token, so its own rate-limit bucket. */
function project(options: Omit<HetznerCloudOptions, 'token' | 'endpoint'> = {}): { token: string; cloud: Cloud } {
  const token = addSimHetznerProject(sim);
  return { token, cloud: createHetznerCloud({ token, endpoint: `${sim.url}/v1`, ...options }) };
}

async function settle(cloud: Cloud, action: CloudAction): Promise<CloudAction> {
  return eventually(async () => {
    const current = await cloud.getAction(action.id);
    return current.status === 'running' ? undefined : current;
  });
}

async function statusOf(cloud: Cloud, serverId: number, wanted: string): Promise<void> {
  await eventually(async () => ((await cloud.getServer(serverId))?.status === wanted ? true : undefined));
}

describe('createHetznerCloud against the simulator', () => {
  it('reads a server as a plain port object, and a missing one as null', async () => {
    const { token, cloud } = project();
    const id = await createServer(sim, token, 'agent-a1', { 'managed-by': 'agent-lifecycle', 'agent-id': 'a1' });
    await statusOf(cloud, id, 'running');

    const server = await cloud.getServer(id);
    expect(server).toEqual({
      id,
      name: 'agent-a1',
      status: 'running',
      labels: { 'managed-by': 'agent-lifecycle', 'agent-id': 'a1' },
      ipv4: expect.stringMatching(/^\d+\.\d+\.\d+\.\d+$/),
      serverType: 'cx22',
      location: 'fsn1',
    });
    expect(Object.getPrototypeOf(server)).toBe(Object.prototype);
    expect(await cloud.getServer(999_999)).toBeNull();
  });

  it('reads a server that has no public addresses', async () => {
    const { token, cloud } = project();
    const id = await createServer(sim, token, 'private-only', {}, { public_net: { enable_ipv4: false, enable_ipv6: false } });
    expect(await cloud.getServer(id)).toMatchObject({ id, ipv4: null });
    expect(await cloud.findServers({})).toEqual([expect.objectContaining({ id, ipv4: null })]);
  });

  it('finds every server carrying all the labels, across pages', async () => {
    const { token, cloud } = project();
    const ours: number[] = [];
    for (let i = 0; i < 55; i += 1) ours.push(await createServer(sim, token, `agent-p${i}`, { 'managed-by': 'agent-lifecycle', 'job-id': 'j1' }));
    await createServer(sim, token, 'other-job', { 'managed-by': 'agent-lifecycle', 'job-id': 'j2' });
    await createServer(sim, token, 'unmanaged', { 'job-id': 'j1' });
    await control(sim, 'DELETE', '/requests');

    const found = await cloud.findServers({ 'managed-by': 'agent-lifecycle', 'job-id': 'j1' });

    expect(found.map((s) => s.id).sort((a, b) => a - b)).toEqual(ours);
    expect((await requestCounts(sim))['GET /v1/servers']?.total).toBe(2);
    expect(await cloud.findServers({ 'agent-id': 'nobody' })).toEqual([]);
  });

  it('shuts a server down, powers it off and on, following each action to success', async () => {
    const { token, cloud } = project();
    const id = await createServer(sim, token, 'agent-power');
    await statusOf(cloud, id, 'running');

    const shutdown = await cloud.shutdown(id);
    expect(shutdown).toEqual({ id: expect.any(Number), command: 'shutdown', status: 'running', progress: expect.any(Number), error: null });
    expect(await settle(cloud, shutdown)).toMatchObject({ id: shutdown.id, status: 'success', progress: 100 });
    await statusOf(cloud, id, 'off');

    const powerOn = await cloud.powerOn(id);
    expect(powerOn.command).toBe('poweron');
    await settle(cloud, powerOn);
    await statusOf(cloud, id, 'running');

    const powerOff = await cloud.powerOff(id);
    expect(powerOff.command).toBe('poweroff');
    expect((await settle(cloud, powerOff)).status).toBe('success');
    await statusOf(cloud, id, 'off');
  });

  it('deletes a server once, and answers null when it is already gone', async () => {
    const { token, cloud } = project();
    const id = await createServer(sim, token, 'agent-delete');
    await statusOf(cloud, id, 'running');

    const deletion = await cloud.deleteServer(id);
    expect(deletion).toMatchObject({ command: 'delete_server', status: 'running' });
    await settle(cloud, deletion as CloudAction);

    expect(await cloud.deleteServer(id)).toBeNull();
    expect(await cloud.getServer(id)).toBeNull();
    expect(sim.state().servers).toEqual([]);
  });

  it('reads an action that ended in error with its code, message and whether sending the command again may help', async () => {
    const { token, cloud } = project();
    const id = await createServer(sim, token, 'agent-failing');
    await statusOf(cloud, id, 'running');
    await settle(cloud, await cloud.powerOff(id));
    await control(sim, 'PUT', '/config', { actionErrors: { start_server: { rate: 1, code: 'server_error', message: 'Cannot start server' } } });
    try {
      const failed = await settle(cloud, await cloud.powerOn(id));
      expect(failed).toEqual({ id: expect.any(Number), command: 'poweron', status: 'error', progress: 100, error: { code: 'server_error', message: 'Cannot start server', retryable: true } });
      expect(await cloud.getActions([failed.id])).toEqual([failed]);

      await control(sim, 'PUT', '/config', { actionErrors: { start_server: { rate: 1, code: 'invalid_server_state', message: 'server is broken' } } });
      const final = await settle(cloud, await cloud.powerOn(id));
      expect(final.error).toEqual({ code: 'invalid_server_state', message: 'server is broken', retryable: false });
      expect((await cloud.getServer(id))?.status).toBe('off');
    } finally {
      await control(sim, 'PUT', '/config', { actionErrors: { start_server: null } });
    }
  });

  it('lists the actions still running on a server, so a retry can adopt them', async () => {
    const { token, cloud } = project();
    const id = await createServer(sim, token, 'agent-busy');
    await statusOf(cloud, id, 'running');
    expect(await cloud.runningActions(id)).toEqual([]);

    // Real time for a moment: the power-off runs for 3 s instead of 3 ms.
    await control(sim, 'PUT', '/config', { timeScale: 1 });
    const powerOff = await cloud.powerOff(id);

    expect(await cloud.runningActions(id)).toEqual([expect.objectContaining({ id: powerOff.id, command: 'poweroff', status: 'running' })]);
    const locked = await rejectionOf(cloud.powerOn(id));
    expect(locked).toBeInstanceOf(RetryableError);
    expect((locked as RetryableError).code).toBe('locked');
    expect(locked.message).toMatch(new RegExp(`^Hetzner poweron of server ${id} failed: locked \\(`));
    expect(await cloud.runningActions(424242)).toEqual([]);
  });

  it('reads many actions in one request per 50 ids', async () => {
    const { token, cloud } = project();
    const ids = [await createServer(sim, token, 'agent-a1'), await createServer(sim, token, 'agent-a2')];
    for (const id of ids) await statusOf(cloud, id, 'running');
    const actions = [await cloud.shutdown(ids[0]!), await cloud.powerOff(ids[1]!)];
    const before = await requestCounts(sim);
    const read = await cloud.getActions([...actions.map((action) => action.id), actions[0]!.id, 999_999_999_999]);
    expect(read.map((action) => action.id).sort()).toEqual(actions.map((action) => action.id).sort());
    expect(read.map((action) => action.command).sort()).toEqual(['poweroff', 'shutdown']);
    const after = await requestCounts(sim);
    expect((after['GET /v1/actions']?.total ?? 0) - (before['GET /v1/actions']?.total ?? 0)).toBe(1);
    expect(await cloud.getActions([])).toEqual([]);
  });

  it('finds the actions of one command a server ran since a moment, finished or not', async () => {
    const { token, cloud } = project();
    const id = await createServer(sim, token, 'agent-adopt');
    await statusOf(cloud, id, 'running');
    // Hetzner's `started` has whole seconds: begin on the next one, after the create's own start_server.
    await new Promise((resolve) => setTimeout(resolve, 1_000 - (Date.now() % 1_000) + 5));
    const since = new Date();
    const shutdown = await settle(cloud, await cloud.shutdown(id));
    await statusOf(cloud, id, 'off');
    const powerOn = await settle(cloud, await cloud.powerOn(id));
    expect(await cloud.actionsSince(id, 'shutdown', since)).toEqual([expect.objectContaining({ id: shutdown.id, command: 'shutdown', status: 'success' })]);
    expect(await cloud.actionsSince(id, 'poweron', since)).toEqual([expect.objectContaining({ id: powerOn.id, command: 'poweron' })]);
    expect(await cloud.actionsSince(id, 'poweron', new Date(Date.now() + 5_000))).toEqual([]);
    expect(await cloud.actionsSince(424242, 'poweron', since)).toEqual([]);
  });

  it('finds servers whose label takes any of several values', async () => {
    const { token, cloud } = project();
    for (const agent of ['x1', 'x2', 'x3']) await createServer(sim, token, `agent-${agent}`, { 'managed-by': 'agent-lifecycle', 'agent-id': agent });
    const found = await cloud.findServers({ 'managed-by': 'agent-lifecycle', 'agent-id': ['x1', 'x3', 'nobody'] });
    expect(found.map((server) => server.labels['agent-id']).sort()).toEqual(['x1', 'x3']);
  });

  it('does not mistake a 404 from something that is not Hetzner for a deleted server', async () => {
    // A misconfigured endpoint: some web server answering every path with its own 404 page.
    const stranger = createHttpServer((_req, res) => res.writeHead(404, { 'content-type': 'text/html' }).end('<h1>Not Found</h1>'));
    await new Promise<void>((resolve) => stranger.listen(0, '127.0.0.1', resolve));
    try {
      const cloud = createHetznerCloud({ token: 'test-token', endpoint: `http://127.0.0.1:${(stranger.address() as AddressInfo).port}/v1` });
      const error = await rejectionOf(cloud.getServer(1));
      expect(error).toBeInstanceOf(PermanentError);
      expect((error as PermanentError).code).toBe('http_404');
      expect(await rejectionOf(cloud.deleteServer(1))).toBeInstanceOf(PermanentError);
    } finally {
      stranger.closeAllConnections();
      await new Promise((resolve) => stranger.close(resolve));
    }
  });

  it('throws PermanentError not_found for an action that does not exist', async () => {
    const { cloud } = project();
    const error = await rejectionOf(cloud.getAction(123));
    expect(error).toBeInstanceOf(PermanentError);
    expect((error as PermanentError).code).toBe('not_found');
  });

  it('classifies injected faults: 503 and 423 retryable, 403 permanent', async () => {
    const { token, cloud } = project();
    const id = await createServer(sim, token, 'agent-faults');
    await control(sim, 'POST', '/faults', {
      rules: [
        { method: 'GET', path: '/v1/servers/*', status: 503, count: 1 },
        { method: 'POST', path: '/v1/servers/*/actions/shutdown', status: 423, count: 1 },
        { method: 'POST', path: '/v1/servers/*/actions/poweroff', status: 403, count: 1 },
      ],
    });

    const unavailable = await rejectionOf(cloud.getServer(id));
    expect(unavailable).toBeInstanceOf(RetryableError);
    expect((unavailable as RetryableError).code).toBe('unavailable');
    expect(unavailable.message).toBe(`Hetzner get of server ${id} failed: unavailable (injected fault: 503)`);

    const locked = await rejectionOf(cloud.shutdown(id));
    expect(locked).toBeInstanceOf(RetryableError);
    expect((locked as RetryableError).code).toBe('locked');

    const forbidden = await rejectionOf(cloud.powerOff(id));
    expect(forbidden).toBeInstanceOf(PermanentError);
    expect((forbidden as PermanentError).code).toBe('forbidden');
    for (const error of [unavailable, locked, forbidden]) expect(error.message).not.toContain(token);

    // The faults fired once each; the calls now go through.
    expect(await cloud.getServer(id)).toMatchObject({ id });
  });

  it('gives up on a hung request after timeoutMs with a retryable timeout', async () => {
    const { token, cloud } = project({ timeoutMs: 200 });
    const id = await createServer(sim, token, 'agent-hang');
    await control(sim, 'POST', '/faults', { rules: [{ method: 'GET', path: '/v1/servers/*', hang: true, count: 1 }] });

    const error = await rejectionOf(cloud.getServer(id));
    expect(error).toBeInstanceOf(RetryableError);
    expect((error as RetryableError).code).toBe('timeout');
  });

  it('retries when nothing listens at the endpoint', async () => {
    const closed = await startSim();
    const endpoint = `${closed.url}/v1`;
    await closed.close();
    const cloud = createHetznerCloud({ token: 'test-token', endpoint });

    const error = await rejectionOf(cloud.getServer(1));
    expect(error).toBeInstanceOf(RetryableError);
    expect((error as RetryableError).code).toBe('network_error');
    expect(error.message).toContain('ECONNREFUSED');
  });

  it('tells the observer about every request it sends, by endpoint template and status, 429s and network errors included', async () => {
    const seen: HetznerObservedRequest[] = [];
    const { token, cloud } = project({ observe: (request) => seen.push(request) });
    const id = await createServer(sim, token, 'agent-observed');
    await statusOf(cloud, id, 'running');
    seen.length = 0;

    const shutdown = await cloud.shutdown(id);
    await cloud.getActions([shutdown.id]);
    expect(await cloud.getServer(424242)).toBeNull();
    await control(sim, 'POST', '/faults', { rules: [{ method: 'GET', path: '/v1/servers/*', status: 429, count: 1 }] });
    await rejectionOf(cloud.getServer(id));

    expect(seen.map(({ cloud: c, endpoint, status }) => [c, endpoint, status])).toEqual([
      ['hetzner', 'POST /servers/{id}/actions/shutdown', 201],
      ['hetzner', 'GET /actions', 200],
      ['hetzner', 'GET /servers/{id}', 404],
      ['hetzner', 'GET /servers/{id}', 429],
    ]);
    expect(seen.every((request) => request.durationMs >= 0)).toBe(true);

    const closed = await startSim();
    await closed.close();
    const unreachable: HetznerObservedRequest[] = [];
    await rejectionOf(createHetznerCloud({ token, endpoint: `${closed.url}/v1`, observe: (request) => unreachable.push(request) }).getServer(1));
    expect(unreachable.map((request) => request.status)).toEqual(['network_error']);
  });

  describe('with the shared rate budget', () => {
    let redis: Redis;

    beforeAll(() => {
      redis = new Redis(testRedisUrl);
    });

    afterAll(async () => {
      await redis.quit();
    });

    it('takes one token from the budget for every request it sends', async () => {
      const real = createRateBudget({ redis, key: budgetKey(), limitPerHour: 3600 });
      let taken = 0;
      const budget: RateBudget = { take: () => ((taken += 1), real.take()), pauseUntil: (at) => real.pauseUntil(at) };
      const { token, cloud } = project({ budget });
      for (let i = 0; i < 30; i += 1) await createServer(sim, token, `agent-b${i}`, { 'managed-by': 'agent-lifecycle' });
      await control(sim, 'DELETE', '/requests');

      const [first] = await cloud.findServers({ 'managed-by': 'agent-lifecycle' });
      await cloud.getServer(first?.id ?? 0);
      await cloud.getServer(1);

      const counts = await requestCounts(sim);
      const sent = Object.values(counts).reduce((sum, count) => sum + (count?.total ?? 0), 0);
      expect(sent).toBe(3);
      expect(taken).toBe(sent);
    });

    it('turns a 429 into RateLimitedError and pauses every process sharing the budget until it is due', async () => {
      await control(sim, 'PUT', '/config', { rateLimit: { limit: 3, refillPerSecond: 1 } });
      const key = budgetKey();
      const { cloud } = project({ budget: createRateBudget({ redis, key, limitPerHour: 360_000 }) });

      let limited: Error | undefined;
      for (let i = 0; i < 10 && !limited; i += 1) {
        limited = await cloud.getServer(1).then(() => undefined, (error: Error) => error);
      }

      expect(limited).toBeInstanceOf(RateLimitedError);
      const resetAt = (limited as RateLimitedError).resetAt;
      expect(resetAt.getTime()).toBeGreaterThan(Date.now());
      expect(resetAt.getTime()).toBeLessThan(Date.now() + 4000);
      expect(limited?.message).toMatch(/^Hetzner get of server 1 failed: rate_limit_exceeded \(/);

      // Another worker process on the same key waits for the pause too.
      const otherWorker = createRateBudget({ redis, key, limitPerHour: 360_000 });
      await otherWorker.take();
      expect(Date.now()).toBeGreaterThanOrEqual(resetAt.getTime() - 20);
      // …after which Hetzner accepts the next request.
      expect(await cloud.getServer(1)).toBeNull();
    });
  });
});
