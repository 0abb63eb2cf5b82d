// The simulator's Hetzner answers hold to the shapes Hetzner documents today
// (packages/testing/contracts/hetzner): the same status, every documented field with its
// JSON type, the rate-limit headers, and no field the API has removed.
import type { CloudSim } from '@agent-lifecycle/cloud-sim';
import { hetznerContract, shapeDifferences } from '@agent-lifecycle/testing';
import { call, control, createServer, runningServer, startSim, waitForAction, type ActionJson, type JsonAnswer } from './sim-client';

let sim: CloudSim;
beforeAll(async () => {
  sim = await startSim();
});
afterAll(() => sim.close());
beforeEach(async () => {
  await control(sim, 'POST', '/reset');
  await control(sim, 'PUT', '/config', { timeScale: 0.001, actionErrors: { start_server: null }, rateLimit: { limit: 3600, refillPerSecond: 1 } });
});

/** The simulator's answer to the request each documented answer answers, in the same state. */
const produce: Record<string, () => Promise<JsonAnswer<unknown>>> = {
  server: async () => {
    const server = await runningServer(sim, 'agent-shape', { 'managed-by': 'agent-lifecycle' });
    return call(sim, 'GET', `/v1/servers/${server.id}`);
  },
  'server-list': async () => {
    await runningServer(sim, 'agent-shape-1', { 'managed-by': 'agent-lifecycle' });
    await runningServer(sim, 'agent-shape-2', { 'managed-by': 'agent-lifecycle' });
    return call(sim, 'GET', '/v1/servers?per_page=50');
  },
  'create-server': () => call(sim, 'POST', '/v1/servers', { body: { name: 'agent-new', server_type: 'cx22', image: 'ubuntu-24.04', location: 'fsn1', labels: { 'managed-by': 'agent-lifecycle' } } }),
  'delete-server': async () => call(sim, 'DELETE', `/v1/servers/${(await runningServer(sim, 'agent-doomed')).id}`),
  'action-running': async () => {
    const server = await runningServer(sim, 'agent-busy');
    await control(sim, 'PUT', '/config', { timeScale: 1 });
    const shutdown = await call<{ action: ActionJson }>(sim, 'POST', `/v1/servers/${server.id}/actions/shutdown`);
    const answer = await call(sim, 'GET', `/v1/actions/${shutdown.body.action.id}`);
    await control(sim, 'PUT', '/config', { timeScale: 0.001 });
    return answer;
  },
  'action-success': async () => {
    const server = await runningServer(sim, 'agent-done');
    const poweroff = await call<{ action: ActionJson }>(sim, 'POST', `/v1/servers/${server.id}/actions/poweroff`);
    await waitForAction(sim, poweroff.body.action.id);
    return call(sim, 'GET', `/v1/actions/${poweroff.body.action.id}`);
  },
  'action-error': async () => {
    const server = await runningServer(sim, 'agent-broken');
    await waitForAction(sim, (await call<{ action: ActionJson }>(sim, 'POST', `/v1/servers/${server.id}/actions/poweroff`)).body.action.id);
    await control(sim, 'PUT', '/config', { actionErrors: { start_server: { rate: 1, code: 'server_error', message: 'Cannot start server' } } });
    const poweron = await call<{ action: ActionJson }>(sim, 'POST', `/v1/servers/${server.id}/actions/poweron`);
    await waitForAction(sim, poweron.body.action.id);
    return call(sim, 'GET', `/v1/actions/${poweron.body.action.id}`);
  },
  'actions-page': async () => {
    const { action, next_actions: next } = await createServer(sim, 'agent-acting');
    return call(sim, 'GET', `/v1/actions?id=${action.id}&id=${next[0]?.id ?? 0}`);
  },
  'error-423-locked': async () => {
    // Real time: the create action certainly still holds the lock.
    await control(sim, 'PUT', '/config', { timeScale: 1 });
    const { server } = await createServer(sim, 'agent-locked');
    const answer = await call(sim, 'POST', `/v1/servers/${server.id}/actions/poweron`);
    await control(sim, 'PUT', '/config', { timeScale: 0.001 });
    return answer;
  },
  'error-429-rate-limited': async () => {
    await control(sim, 'PUT', '/config', { rateLimit: { limit: 1, refillPerSecond: 0.001 } });
    await call(sim, 'GET', '/v1/servers/1');
    return call(sim, 'GET', '/v1/servers/1');
  },
  'error-410-gone': () => call(sim, 'GET', '/v1/datacenters'),
  'create-image': async () => {
    const server = await runningServer(sim, 'agent-snap');
    return call(sim, 'POST', `/v1/servers/${server.id}/actions/create_image`, { body: { type: 'snapshot', description: 'snap', labels: { purpose: 'hibernation' } } });
  },
  image: async () => call(sim, 'GET', `/v1/images/${await availableSnapshot('agent-image')}`),
  'image-list': async () => {
    await availableSnapshot('agent-list-1');
    await availableSnapshot('agent-list-2');
    return call(sim, 'GET', `/v1/images?type=snapshot&label_selector=${encodeURIComponent('purpose=hibernation')}`);
  },
  'delete-image': async () => call(sim, 'DELETE', `/v1/images/${await availableSnapshot('agent-gone')}`),
  'server-types': () => call(sim, 'GET', '/v1/server_types'),
  pricing: () => call(sim, 'GET', '/v1/pricing'),
};

/** A snapshot of a new server, once available; answers its id. */
async function availableSnapshot(serverName: string): Promise<number> {
  const server = await runningServer(sim, serverName);
  const { body } = await call<{ image: { id: number }; action: ActionJson }>(sim, 'POST', `/v1/servers/${server.id}/actions/create_image`, {
    body: { type: 'snapshot', description: serverName, labels: { purpose: 'hibernation' } },
  });
  await waitForAction(sim, body.action.id);
  return body.image.id;
}

describe('the shape comparison', () => {
  it('catches a missing field, a field of another type and a removed field at any depth', () => {
    const documented = { server: { id: 1, location: { name: 'fsn1' }, labels: { a: 'b' } } };
    expect(shapeDifferences(documented, { server: { id: 2, location: { name: 'nbg1' }, labels: {} } })).toEqual([]);
    expect(shapeDifferences(documented, { server: { id: '2', labels: {}, datacenter: { name: 'fsn1-dc14' } } })).toEqual([
      'server.datacenter is a removed field',
      'server.id should be a number, is a string',
      'server.location is missing',
    ]);
  });
});

describe('the simulator’s answers against the documented ones', () => {
  it('has a way to produce every documented answer', () => {
    expect(Object.keys(produce).sort()).toEqual(Object.keys(hetznerContract()).sort());
  });

  it.each(Object.entries(hetznerContract()))('answers like %s', async (name, documented) => {
    const answer = await produce[name]!();
    expect(answer.status).toBe(documented.status);
    expect(shapeDifferences(documented.body, answer.body)).toEqual([]);
    for (const header of Object.keys(documented.headers)) expect([header, answer.headers.get(header)]).toEqual([header, expect.stringMatching(/^\d+$/)]);
  });
});
