// Snapshots and prices, as hibernation needs them: create_image gives an image `creating →
// available` (the server locked meanwhile), images listed by type and labels, deleted, a
// server created from one; server types with prices per location and /v1/pricing; image
// creation that fails or stalls when the control API says so.
import type { CloudSim } from '@agent-lifecycle/cloud-sim';
import { call, control, createServer, eventually, runningServer, startSim, waitForAction, type ActionJson, type ServerJson } from './sim-client';

interface ImageJson {
  id: number;
  type: string;
  status: string;
  name: string | null;
  description: string;
  image_size: number | null;
  disk_size: number;
  created_from: { id: number; name: string } | null;
  labels: Record<string, string>;
}

interface HetznerErrorBody {
  error: { code: string; message: string; details: { fields?: Array<{ name: string }> } };
}

let sim: CloudSim;
beforeAll(async () => {
  sim = await startSim();
});
afterAll(() => sim.close());
beforeEach(async () => {
  await control(sim, 'POST', '/reset');
  await control(sim, 'PUT', '/config', { timeScale: 0.001, stallImageCreation: false, actionErrors: { create_image: null } });
});

const hibernation = { 'managed-by': 'agent-lifecycle', 'agent-id': 'h1', purpose: 'hibernation' };

function snapshot(serverId: number, body: Record<string, unknown> = { type: 'snapshot', description: 'agent h1', labels: hibernation }) {
  return call<{ image: ImageJson; action: ActionJson }>(sim, 'POST', `/v1/servers/${serverId}/actions/create_image`, { body });
}

async function imageStatus(id: number): Promise<string | undefined> {
  const answer = await call<{ image: ImageJson }>(sim, 'GET', `/v1/images/${id}`);
  return answer.status === 404 ? undefined : answer.body.image.status;
}

describe('create_image', () => {
  it('answers 201 with a creating snapshot and its action, and makes it available when the action succeeds', async () => {
    const server = await runningServer(sim, 'agent-h1', hibernation);
    await control(sim, 'PUT', '/config', { timeScale: 0.1 });
    const answer = await snapshot(server.id);
    expect(answer.status).toBe(201);
    const { image, action } = answer.body;
    expect(image).toMatchObject({ type: 'snapshot', status: 'creating', name: null, description: 'agent h1', image_size: null, disk_size: 40, created_from: { id: server.id, name: 'agent-h1' }, labels: hibernation });
    expect(action).toMatchObject({ command: 'create_image', status: 'running', resources: [{ id: server.id, type: 'server' }, { id: image.id, type: 'image' }] });

    // The server is locked while its disk is copied.
    expect((await call<HetznerErrorBody>(sim, 'POST', `/v1/servers/${server.id}/actions/poweroff`)).status).toBe(423);

    expect(await waitForAction(sim, action.id)).toMatchObject({ status: 'success' });
    const available = await call<{ image: ImageJson }>(sim, 'GET', `/v1/images/${image.id}`);
    expect(available.body.image).toMatchObject({ id: image.id, status: 'available', image_size: 3.6 });
    expect(sim.state().images).toEqual([expect.objectContaining({ id: image.id, status: 'available', labels: hibernation })]);
  });

  it('refuses anything but a snapshot, or bad labels, with 400 invalid_input and makes nothing', async () => {
    const server = await runningServer(sim, 'agent-h2');
    const backup = await call<HetznerErrorBody>(sim, 'POST', `/v1/servers/${server.id}/actions/create_image`, { body: { type: 'backup' } });
    expect(backup.status).toBe(400);
    expect(backup.body.error.details.fields?.map((f) => f.name)).toEqual(['type']);
    const labels = await snapshot(server.id, { type: 'snapshot', labels: { 'bad key!': 'x' } });
    expect(labels.status).toBe(400);
    expect(sim.state().images).toEqual([]);
    expect((await call(sim, 'POST', '/v1/servers/999999/actions/create_image', { body: { type: 'snapshot' } })).status).toBe(404);
  });

  it('fails when told to: the action ends in error, no image is left, the server is as it was', async () => {
    const server = await runningServer(sim, 'agent-h3');
    await control(sim, 'PUT', '/config', { actionErrors: { create_image: { rate: 1, code: 'server_error', message: 'snapshot failed' } } });
    const { image, action } = (await snapshot(server.id)).body;
    expect(await waitForAction(sim, action.id)).toMatchObject({ status: 'error', error: { code: 'server_error', message: 'snapshot failed' } });
    expect(await imageStatus(image.id)).toBeUndefined();
    expect((await call<{ server: ServerJson }>(sim, 'GET', `/v1/servers/${server.id}`)).body.server).toMatchObject({ status: 'running', locked: false });
  });

  it('stalls when told to: the image stays creating and the server locked, until the stall is lifted', async () => {
    const server = await runningServer(sim, 'agent-h4');
    await control(sim, 'PUT', '/config', { stallImageCreation: true });
    const { image, action } = (await snapshot(server.id)).body;
    // Ten times the action's own (scaled) 20 ms duration.
    await new Promise((resolve) => setTimeout(resolve, 200));
    expect((await call<{ action: ActionJson }>(sim, 'GET', `/v1/actions/${action.id}`)).body.action).toMatchObject({ status: 'running', progress: 99 });
    expect(await imageStatus(image.id)).toBe('creating');
    expect((await call(sim, 'POST', `/v1/servers/${server.id}/actions/poweroff`)).status).toBe(423);
    expect((await call(sim, 'DELETE', `/v1/images/${image.id}`)).status).toBe(423);

    await control(sim, 'PUT', '/config', { stallImageCreation: false });
    expect(await waitForAction(sim, action.id)).toMatchObject({ status: 'success' });
    expect(await imageStatus(image.id)).toBe('available');
  });
});

describe('listing, reading and deleting images', () => {
  it('lists snapshots by type and label selector, a page at a time, beside the system images', async () => {
    const ids: number[] = [];
    for (const agent of ['l1', 'l2', 'l3']) {
      const server = await runningServer(sim, `agent-${agent}`);
      const { image, action } = (await snapshot(server.id, { type: 'snapshot', labels: { 'managed-by': 'agent-lifecycle', 'agent-id': agent, purpose: 'hibernation' } })).body;
      await waitForAction(sim, action.id);
      ids.push(image.id);
    }
    const selector = encodeURIComponent('purpose=hibernation,agent-id in (l1,l3)');
    const selected = await call<{ images: ImageJson[] }>(sim, 'GET', `/v1/images?type=snapshot&label_selector=${selector}`);
    expect(selected.body.images.map((i) => i.id)).toEqual([ids[0], ids[2]]);

    const page = await call<{ images: ImageJson[]; meta: { pagination: { total_entries: number; next_page: number | null } } }>(sim, 'GET', '/v1/images?type=snapshot&per_page=2');
    expect(page.body.images).toHaveLength(2);
    expect(page.body.meta.pagination).toMatchObject({ total_entries: 3, next_page: 2 });
    const system = await call<{ images: ImageJson[] }>(sim, 'GET', '/v1/images?type=system');
    expect(system.body.images.every((i) => i.type === 'system' && i.name !== null)).toBe(true);
  });

  it('deletes a snapshot with 204, after which it is 404; refuses to delete a system image', async () => {
    const server = await runningServer(sim, 'agent-d1');
    const { image, action } = (await snapshot(server.id)).body;
    await waitForAction(sim, action.id);
    const deleted = await call(sim, 'DELETE', `/v1/images/${image.id}`);
    expect(deleted.status).toBe(204);
    expect(await imageStatus(image.id)).toBeUndefined();
    expect((await call<HetznerErrorBody>(sim, 'DELETE', `/v1/images/${image.id}`)).body.error.code).toBe('not_found');
    const system = await call<HetznerErrorBody>(sim, 'DELETE', '/v1/images/161547269');
    expect(system.status).toBe(403);
    expect(sim.state().images).toEqual([]);
  });
});

describe('a server from a snapshot', () => {
  it('creates a server from an available snapshot, with the type and location asked for', async () => {
    const original = await runningServer(sim, 'agent-r1', hibernation);
    const { image, action } = (await snapshot(original.id)).body;
    await waitForAction(sim, action.id);
    await waitForAction(sim, (await call<{ action: ActionJson }>(sim, 'DELETE', `/v1/servers/${original.id}`)).body.action.id);

    const restored = await call<{ server: ServerJson & { image: ImageJson; server_type: { name: string }; location: { name: string } }; action: ActionJson }>(sim, 'POST', '/v1/servers', {
      body: { name: 'agent-r1', server_type: 'cx32', location: 'hel1', image: image.id, labels: { 'managed-by': 'agent-lifecycle', 'agent-id': 'h1' } },
    });
    expect(restored.status).toBe(201);
    expect(restored.body.server).toMatchObject({ name: 'agent-r1', server_type: { name: 'cx32' }, location: { name: 'hel1' }, image: { id: image.id, type: 'snapshot' } });
    await waitForAction(sim, restored.body.action.id);
    await eventually(async () => ((await call<{ server: ServerJson }>(sim, 'GET', `/v1/servers/${restored.body.server.id}`)).body.server.status === 'running' ? true : undefined));
  });

  it('refuses a snapshot still being created, or a server type with a smaller disk', async () => {
    await control(sim, 'PUT', '/config', { stallImageCreation: true });
    const big = await createServer(sim, 'agent-big', {});
    await waitForAction(sim, big.action.id);
    const creating = (await snapshot(big.server.id)).body.image;
    const notYet = await call<HetznerErrorBody>(sim, 'POST', '/v1/servers', { body: { name: 'too-soon', server_type: 'cx22', image: creating.id } });
    expect(notYet.status).toBe(400);
    expect(notYet.body.error.details.fields?.map((f) => f.name)).toEqual(['image']);
    await control(sim, 'PUT', '/config', { stallImageCreation: false });

    const large = await call<{ server: ServerJson; action: ActionJson }>(sim, 'POST', '/v1/servers', { body: { name: 'agent-large', server_type: 'cx32', image: 'ubuntu-24.04' } });
    await waitForAction(sim, large.body.action.id);
    const { image, action } = (await snapshot(large.body.server.id)).body;
    await waitForAction(sim, action.id);
    const smaller = await call<HetznerErrorBody>(sim, 'POST', '/v1/servers', { body: { name: 'agent-small', server_type: 'cx22', image: image.id } });
    expect(smaller.status).toBe(400);
    expect(smaller.body.error.details.fields?.map((f) => f.name)).toEqual(['server_type']);
  });
});

describe('prices', () => {
  it('lists server types with their prices per location, the US dearer than Germany', async () => {
    const answer = await call<{ server_types: Array<{ name: string; prices: Array<{ location: string; price_monthly: { net: string; gross: string } }> }> }>(sim, 'GET', '/v1/server_types');
    const cx22 = answer.body.server_types.find((t) => t.name === 'cx22')!;
    const monthly = Object.fromEntries(cx22.prices.map((p) => [p.location, p.price_monthly]));
    expect(monthly.fsn1).toEqual({ net: '3.7900000000', gross: '4.5101000000' });
    expect(Number(monthly.ash?.gross)).toBeGreaterThan(Number(monthly.fsn1?.gross));
  });

  it('answers /v1/pricing with the snapshot price per GB and month and the server types’ prices', async () => {
    const answer = await call<{ pricing: { currency: string; vat_rate: string; image: { price_per_gb_month: { net: string; gross: string } }; server_types: Array<{ name: string; prices: unknown[] }> } }>(sim, 'GET', '/v1/pricing');
    expect(answer.body.pricing).toMatchObject({ currency: 'EUR', vat_rate: '19.00', image: { price_per_gb_month: { net: '0.0110000000', gross: '0.0130900000' } } });
    expect(answer.body.pricing.server_types.map((t) => t.name)).toEqual(['cpx11', 'cax11', 'cx22', 'cx32']);
    expect(answer.body.pricing.server_types[0]?.prices).toHaveLength(4);
  });
});
