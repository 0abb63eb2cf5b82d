// What hibernation needs from the Cloud port, on the simulated Hetzner API: snapshots taken,
// read, found by label and deleted idempotently; a server created from one where the old one
// stood; today's prices; and snapshots that fail or stall.
import type { CloudSim } from '@agent-lifecycle/cloud-sim';
import { createHetznerCloud } from '@agent-lifecycle/hetzner';
import type { Cloud, CloudAction } from '@agent-lifecycle/lifecycle';
import { addSimHetznerProject, createSimServer, eventually, simControl as control, startTestSim } from '@agent-lifecycle/testing';

let sim: CloudSim;
let token: string;
let cloud: Cloud;

beforeAll(async () => {
  sim = await startTestSim();
  token = addSimHetznerProject(sim);
  cloud = createHetznerCloud({ token, endpoint: `${sim.url}/v1` });
});
afterAll(() => sim.close());
beforeEach(async () => {
  await control(sim, 'POST', '/reset');
  await control(sim, 'PUT', '/config', { timeScale: 0.001, stallImageCreation: false, actionErrors: { create_image: null } });
});

const labelsOf = (agentId: string) => ({ 'managed-by': 'agent-lifecycle', 'agent-id': agentId, purpose: 'hibernation' });

async function settle(action: CloudAction): Promise<CloudAction> {
  return eventually(async () => {
    const current = await cloud.getAction(action.id);
    return current.status === 'running' ? undefined : current;
  });
}

async function runningServer(name: string, extra: Record<string, unknown> = {}): Promise<number> {
  const id = await createSimServer(sim, token, name, { 'managed-by': 'agent-lifecycle' }, extra);
  await eventually(async () => ((await cloud.getServer(id))?.status === 'running' ? true : undefined));
  return id;
}

describe('snapshots through the Cloud port', () => {
  it('takes a snapshot, reads it creating and then available with its size', async () => {
    const serverId = await runningServer('agent-s1');
    await control(sim, 'PUT', '/config', { timeScale: 0.05 });
    const { imageId, action } = await cloud.createSnapshot(serverId, { description: 'agent s1 hibernated', labels: labelsOf('s1') });
    expect(action).toMatchObject({ command: 'create_image', status: 'running', error: null });
    expect(await cloud.getImage(imageId)).toEqual({ id: imageId, status: 'creating', sizeGb: null, labels: labelsOf('s1'), createdFrom: { id: serverId, name: 'agent-s1' } });

    expect((await settle(action)).status).toBe('success');
    expect(await cloud.getImage(imageId)).toMatchObject({ status: 'available', sizeGb: 3.6 });
    expect(await cloud.getImage(999_999_999)).toBeNull();
  });

  it('finds the snapshots carrying all the labels, and only snapshots', async () => {
    const ids: number[] = [];
    for (const agent of ['f1', 'f2', 'f3']) {
      const { imageId, action } = await cloud.createSnapshot(await runningServer(`agent-${agent}`), { description: agent, labels: labelsOf(agent) });
      await settle(action);
      ids.push(imageId);
    }
    const found = await cloud.findImages({ purpose: 'hibernation', 'agent-id': ['f1', 'f3'] });
    expect(found.map((image) => image.id)).toEqual([ids[0], ids[2]]);
    expect(await cloud.findImages({ 'agent-id': 'nobody' })).toEqual([]);
    expect((await cloud.findImages({})).map((image) => image.id)).toEqual(ids);
  });

  it('deletes a snapshot, and says already_gone the second time', async () => {
    const { imageId, action } = await cloud.createSnapshot(await runningServer('agent-d1'), { description: 'd1', labels: labelsOf('d1') });
    await settle(action);
    expect(await cloud.deleteImage(imageId)).toBe('deleted');
    expect(await cloud.deleteImage(imageId)).toBe('already_gone');
    expect(sim.state().images).toEqual([]);
  });

  it('reads a failed snapshot as an action in error, and a stalled one as still running', async () => {
    const serverId = await runningServer('agent-e1');
    await control(sim, 'PUT', '/config', { actionErrors: { create_image: { rate: 1, code: 'server_error', message: 'snapshot failed' } } });
    const failed = await cloud.createSnapshot(serverId, { description: 'e1', labels: labelsOf('e1') });
    expect(await settle(failed.action)).toMatchObject({ status: 'error', error: { code: 'server_error', message: 'snapshot failed', retryable: true } });
    expect(await cloud.getImage(failed.imageId)).toBeNull();

    await control(sim, 'PUT', '/config', { actionErrors: { create_image: null }, stallImageCreation: true });
    const stalled = await cloud.createSnapshot(serverId, { description: 'e1', labels: labelsOf('e1') });
    await new Promise((resolve) => setTimeout(resolve, 100));
    expect(await cloud.getAction(stalled.action.id)).toMatchObject({ status: 'running' });
    expect(await cloud.getImage(stalled.imageId)).toMatchObject({ status: 'creating' });
  });
});

describe('restoring a server through the Cloud port', () => {
  it('reads a server’s type and location, and creates one from a snapshot with the same name, labels, type and location', async () => {
    const serverId = await runningServer('agent-r1', { server_type: 'cx32', location: 'hel1', labels: { 'managed-by': 'agent-lifecycle', 'agent-id': 'r1' } });
    const original = await cloud.getServer(serverId);
    expect(original).toMatchObject({ name: 'agent-r1', serverType: 'cx32', location: 'hel1' });

    const { imageId, action } = await cloud.createSnapshot(serverId, { description: 'r1', labels: labelsOf('r1') });
    await settle(action);
    await settle((await cloud.deleteServer(serverId))!);

    const restored = await cloud.createServer({ name: original!.name, serverType: original!.serverType!, location: original!.location!, imageId, labels: original!.labels });
    expect(restored.server).toMatchObject({ name: 'agent-r1', status: 'initializing', serverType: 'cx32', location: 'hel1', labels: { 'managed-by': 'agent-lifecycle', 'agent-id': 'r1' } });
    expect(restored.server.id).not.toBe(serverId);
    expect(restored.action).toMatchObject({ command: 'create_server', status: 'running' });
    await settle(restored.action);
    await eventually(async () => ((await cloud.getServer(restored.server.id))?.status === 'running' ? true : undefined));
    expect((await cloud.getServer(restored.server.id))?.ipv4).toMatch(/^\d+\.\d+\.\d+\.\d+$/);
  });
});

describe('prices through the Cloud port', () => {
  it('reads the monthly gross price of every server type per location, and of a snapshot GB', async () => {
    const prices = await cloud.prices();
    expect(prices.currency).toBe('EUR');
    expect(prices.snapshotPerGbMonth).toBeCloseTo(0.01309, 8);
    const cx22 = Object.fromEntries(prices.serverTypes.filter((t) => t.name === 'cx22').map((t) => [t.location, t.monthlyGross]));
    expect(cx22.fsn1).toBeCloseTo(4.5101, 8);
    expect(cx22.ash).toBeGreaterThan(cx22.fsn1 ?? Infinity);
    expect(prices.serverTypes).toHaveLength(16);
  });
});
