// The Hetzner servers API semantics a lifecycle engine depends on, as the API is today: auth
// by project token, create (by location), list filters, power transitions, ignored ACPI
// shutdowns, locks, failing actions, immediate deletion and the action endpoints.
import type { CloudSim } from '@agent-lifecycle/cloud-sim';
import { call, control, createServer, eventually, runningServer, sandbox, serverStatus, startSim, waitForAction, type ActionJson, type ServerJson } from './sim-client';

interface HetznerErrorBody {
  error: { code: string; message: string; details: { fields?: Array<{ name: string; messages: string[] }> } };
}

let sim: CloudSim;
beforeAll(async () => {
  sim = await startSim();
});
afterAll(() => sim.close());
beforeEach(async () => {
  await control(sim, 'POST', '/reset');
  await control(sim, 'PUT', '/config', { timeScale: 0.001, acpiIgnoreRate: 0 });
});

/** Statuses a server shows while `until` holds, sampled as fast as the API answers. */
async function observeStatuses(id: number, until: (status: string | undefined) => boolean): Promise<Array<string | undefined>> {
  const seen: Array<string | undefined> = [];
  await eventually(async () => {
    const status = await serverStatus(sim, id);
    if (seen[seen.length - 1] !== status) seen.push(status);
    return until(status) ? true : undefined;
  });
  return seen;
}

describe('authentication', () => {
  it('answers a call without a bearer token with 401 unauthorized', async () => {
    const answer = await call<HetznerErrorBody>(sim, 'GET', '/v1/servers', { token: null });
    expect(answer.status).toBe(401);
    expect(answer.body.error.code).toBe('unauthorized');
  });

  it('refuses a token that belongs to no project with 401 unauthorized', async () => {
    const answer = await call<HetznerErrorBody>(sim, 'GET', '/v1/servers', { token: 'whatever-project-token' });
    expect(answer.status).toBe(401);
    expect(answer.body.error.code).toBe('unauthorized');
  });

  it('accepts every token of a configured project, each seeing the same servers', async () => {
    await control(sim, 'PUT', '/credentials', { hetzner: { projects: [{ name: 'sandbox', tokens: ['first-token', 'second-token'] }] } });
    try {
      await createServer(sim, 'shared', {}, 'first-token');
      const answer = await call<{ servers: ServerJson[] }>(sim, 'GET', '/v1/servers', { token: 'second-token' });
      expect(answer.body.servers.map((s) => s.name)).toEqual(['shared']);
    } finally {
      await control(sim, 'PUT', '/credentials', { hetzner: { projects: [{ name: 'sandbox', tokens: [sandbox.hetzner.token] }] } });
    }
  });
});

describe('creating servers', () => {
  it('answers 201 with the server, a create_server action, next actions and a root password', async () => {
    const answer = await call<{ server: ServerJson & Record<string, unknown>; action: ActionJson; next_actions: ActionJson[]; root_password: string }>(sim, 'POST', '/v1/servers', {
      body: { name: 'agent-a1', server_type: 'cx22', image: 'ubuntu-24.04', location: 'nbg1', labels: { 'managed-by': 'agent-lifecycle', 'agent-id': 'a1' } },
    });
    expect(answer.status).toBe(201);
    const { server, action, next_actions: nextActions, root_password: rootPassword } = answer.body;
    expect(server).toMatchObject({
      name: 'agent-a1',
      status: 'initializing',
      labels: { 'managed-by': 'agent-lifecycle', 'agent-id': 'a1' },
      server_type: { name: 'cx22', architecture: 'x86' },
      image: { name: 'ubuntu-24.04', architecture: 'x86' },
      location: { name: 'nbg1', city: 'Nuremberg', country: 'DE', network_zone: 'eu-central' },
      protection: { delete: false, rebuild: false },
      private_net: [],
    });
    expect(server).not.toHaveProperty('datacenter');
    expect(server.id).toBeGreaterThan(2 ** 32);
    expect(Number.isSafeInteger(server.id)).toBe(true);
    expect(action.id).toBeGreaterThan(2 ** 32);
    expect(Number.isSafeInteger(action.id)).toBe(true);
    expect(server.public_net.ipv4?.ip).toMatch(/^\d+\.\d+\.\d+\.\d+$/);
    expect(typeof server.created).toBe('string');
    expect(action).toMatchObject({ command: 'create_server', status: 'running', resources: [{ id: server.id, type: 'server' }] });
    expect(nextActions.map((a) => a.command)).toEqual(['start_server']);
    expect(rootPassword).toMatch(/^\S{12,}$/);
  });

  it('moves a new server from initializing to running when its action succeeds', async () => {
    const { server, action } = await createServer(sim, 'agent-a2');
    const finished = await waitForAction(sim, action.id);
    expect(finished).toMatchObject({ status: 'success', progress: 100 });
    expect(await serverStatus(sim, server.id)).toBe('running');
  });

  it('rejects an unknown server type and image with 400 invalid_input naming the fields', async () => {
    const answer = await call<HetznerErrorBody>(sim, 'POST', '/v1/servers', { body: { name: 'x', server_type: 'cx999', image: 'windows-95' } });
    expect(answer.status).toBe(400);
    expect(answer.body.error.code).toBe('invalid_input');
    expect(answer.body.error.details.fields?.map((f) => f.name).sort()).toEqual(['image', 'server_type']);
  });

  it('refuses a datacenter on create with 400 invalid_input: servers are placed by location', async () => {
    const answer = await call<HetznerErrorBody>(sim, 'POST', '/v1/servers', { body: { name: 'old-style', server_type: 'cx22', image: 'ubuntu-24.04', datacenter: 'fsn1-dc14' } });
    expect(answer.status).toBe(400);
    expect(answer.body.error.code).toBe('invalid_input');
    expect(answer.body.error.details.fields?.map((f) => f.name)).toEqual(['datacenter']);
    expect(sim.state().servers).toEqual([]);
  });

  it('answers 410 Gone for the removed datacenters endpoints', async () => {
    for (const path of ['/v1/datacenters', '/v1/datacenters/4']) {
      const answer = await call<HetznerErrorBody>(sim, 'GET', path);
      expect(answer.status).toBe(410);
      expect(answer.body.error.code).toBe('deprecated_api_endpoint');
    }
  });

  it('rejects a second server with the same name with 409 uniqueness_error', async () => {
    await createServer(sim, 'agent-dup');
    const answer = await call<HetznerErrorBody>(sim, 'POST', '/v1/servers', { body: { name: 'agent-dup', server_type: 'cx22', image: 'ubuntu-24.04' } });
    expect(answer.status).toBe(409);
    expect(answer.body.error.code).toBe('uniqueness_error');
  });

  it('answers a body that is not JSON with 400 json_error', async () => {
    const response = await fetch(`${sim.url}/v1/servers`, { method: 'POST', headers: { authorization: `Bearer ${sandbox.hetzner.token}`, 'content-type': 'application/json' }, body: '{"name":' });
    expect(response.status).toBe(400);
    expect(((await response.json()) as HetznerErrorBody).error.code).toBe('json_error');
  });
});

describe('listing servers', () => {
  beforeEach(async () => {
    for (const name of ['c-3', 'a-1', 'b-2']) await createServer(sim, name);
  });

  it('filters by exact name', async () => {
    const answer = await call<{ servers: ServerJson[] }>(sim, 'GET', '/v1/servers?name=b-2');
    expect(answer.body.servers.map((s) => s.name)).toEqual(['b-2']);
  });

  it('filters by one or several statuses', async () => {
    const all = await call<{ servers: ServerJson[] }>(sim, 'GET', '/v1/servers');
    const target = all.body.servers.find((s) => s.name === 'a-1')!;
    await eventually(async () => ((await serverStatus(sim, target.id)) === 'running' ? true : undefined));
    const poweroff = await call<{ action: ActionJson }>(sim, 'POST', `/v1/servers/${target.id}/actions/poweroff`);
    await waitForAction(sim, poweroff.body.action.id);
    await eventually(async () => {
      const statuses = (await call<{ servers: ServerJson[] }>(sim, 'GET', '/v1/servers')).body.servers.map((s) => s.status);
      return statuses.filter((s) => s === 'running').length === 2 ? true : undefined;
    });
    const off = await call<{ servers: ServerJson[] }>(sim, 'GET', '/v1/servers?status=off');
    expect(off.body.servers.map((s) => s.name)).toEqual(['a-1']);
    const both = await call<{ servers: ServerJson[] }>(sim, 'GET', '/v1/servers?status=off&status=running');
    expect(both.body.servers).toHaveLength(3);
    const invalid = await call<HetznerErrorBody>(sim, 'GET', '/v1/servers?status=sleeping');
    expect(invalid.status).toBe(400);
  });

  it('sorts by name or id in either direction', async () => {
    const byName = await call<{ servers: ServerJson[] }>(sim, 'GET', '/v1/servers?sort=name:asc');
    expect(byName.body.servers.map((s) => s.name)).toEqual(['a-1', 'b-2', 'c-3']);
    const byIdDesc = await call<{ servers: ServerJson[] }>(sim, 'GET', '/v1/servers?sort=id:desc');
    expect(byIdDesc.body.servers.map((s) => s.name)).toEqual(['b-2', 'a-1', 'c-3']);
  });

  it('paginates with page, per_page and meta.pagination', async () => {
    const first = await call<{ servers: ServerJson[]; meta: { pagination: Record<string, unknown> } }>(sim, 'GET', '/v1/servers?per_page=2');
    expect(first.body.servers.map((s) => s.name)).toEqual(['c-3', 'a-1']);
    expect(first.body.meta.pagination).toEqual({ page: 1, per_page: 2, previous_page: null, next_page: 2, last_page: 2, total_entries: 3 });
    const second = await call<{ servers: ServerJson[]; meta: { pagination: Record<string, unknown> } }>(sim, 'GET', '/v1/servers?per_page=2&page=2');
    expect(second.body.servers.map((s) => s.name)).toEqual(['b-2']);
    expect(second.body.meta.pagination).toEqual({ page: 2, per_page: 2, previous_page: 1, next_page: null, last_page: 2, total_entries: 3 });
  });
});

describe('power actions', () => {
  it('powers a server off (running → stopping → off) and on again (off → starting → running)', async () => {
    const server = await runningServer(sim, 'agent-power');
    // Slow enough (300 ms stopping, 500 ms starting) that polling sees every status, even on a busy machine.
    await control(sim, 'PUT', '/config', { timeScale: 0.1 });

    const off = await call<{ action: ActionJson }>(sim, 'POST', `/v1/servers/${server.id}/actions/poweroff`);
    expect(off.status).toBe(201);
    expect(off.body.action).toMatchObject({ command: 'stop_server', status: 'running' });
    expect(await observeStatuses(server.id, (s) => s === 'off')).toEqual(['stopping', 'off']);
    expect(await waitForAction(sim, off.body.action.id)).toMatchObject({ status: 'success', progress: 100 });

    const on = await call<{ action: ActionJson }>(sim, 'POST', `/v1/servers/${server.id}/actions/poweron`);
    expect(on.body.action).toMatchObject({ command: 'start_server', status: 'running' });
    expect(await observeStatuses(server.id, (s) => s === 'running')).toEqual(['starting', 'running']);
  });

  it('shuts down a server whose guest honours ACPI: the action succeeds, then the server stops', async () => {
    const server = await runningServer(sim, 'agent-acpi');
    const shutdown = await call<{ action: ActionJson }>(sim, 'POST', `/v1/servers/${server.id}/actions/shutdown`);
    expect(shutdown.body.action.command).toBe('shutdown_server');
    expect(await waitForAction(sim, shutdown.body.action.id)).toMatchObject({ status: 'success' });
    await eventually(async () => ((await serverStatus(sim, server.id)) === 'off' ? true : undefined));
  });

  it('leaves the server running when the guest ignores the ACPI shutdown, though the action succeeds', async () => {
    await control(sim, 'PUT', '/config', { acpiIgnoreRate: 1 });
    const server = await runningServer(sim, 'agent-deaf');
    const shutdown = await call<{ action: ActionJson }>(sim, 'POST', `/v1/servers/${server.id}/actions/shutdown`);
    expect(await waitForAction(sim, shutdown.body.action.id)).toMatchObject({ status: 'success' });
    // Well past the simulated guest shutdown time (10 s × 0.001).
    await new Promise((resolve) => setTimeout(resolve, 100));
    expect(await serverStatus(sim, server.id)).toBe('running');

    const poweroff = await call<{ action: ActionJson }>(sim, 'POST', `/v1/servers/${server.id}/actions/poweroff`);
    await waitForAction(sim, poweroff.body.action.id);
    expect(await serverStatus(sim, server.id)).toBe('off');
  });

  it('answers 423 locked to a second action while one runs on the same server', async () => {
    const server = await runningServer(sim, 'agent-busy');
    await control(sim, 'PUT', '/config', { timeScale: 0.1 });
    const poweroff = await call<{ action: ActionJson }>(sim, 'POST', `/v1/servers/${server.id}/actions/poweroff`);
    expect(poweroff.status).toBe(201);

    const during = await call<{ server: ServerJson }>(sim, 'GET', `/v1/servers/${server.id}`);
    expect(during.body.server.locked).toBe(true);
    for (const command of ['poweron', 'shutdown', 'reboot']) {
      const second = await call<HetznerErrorBody>(sim, 'POST', `/v1/servers/${server.id}/actions/${command}`);
      expect(second.status).toBe(423);
      expect(second.body.error.code).toBe('locked');
    }
    expect((await call<HetznerErrorBody>(sim, 'DELETE', `/v1/servers/${server.id}`)).status).toBe(423);

    await waitForAction(sim, poweroff.body.action.id);
    expect((await call(sim, 'POST', `/v1/servers/${server.id}/actions/poweron`)).status).toBe(201);
  });

  it('reports progress between 0 and 100 while an action runs', async () => {
    const server = await runningServer(sim, 'agent-progress');
    await control(sim, 'PUT', '/config', { timeScale: 0.1 });
    const poweroff = await call<{ action: ActionJson }>(sim, 'POST', `/v1/servers/${server.id}/actions/poweroff`);
    await new Promise((resolve) => setTimeout(resolve, 120));
    const midway = await call<{ action: ActionJson }>(sim, 'GET', `/v1/actions/${poweroff.body.action.id}`);
    expect(midway.body.action.status).toBe('running');
    expect(midway.body.action.progress).toBeGreaterThan(0);
    expect(midway.body.action.progress).toBeLessThan(100);
  });

  it('answers 404 not_found for an action on an unknown server', async () => {
    const answer = await call<HetznerErrorBody>(sim, 'POST', '/v1/servers/999999/actions/poweroff');
    expect(answer.status).toBe(404);
    expect(answer.body.error.code).toBe('not_found');
  });
});

describe('deleting servers', () => {
  it('removes the server at once: 404, name free, no longer listed, while its delete_server action runs on', async () => {
    const server = await runningServer(sim, 'agent-gone', { 'managed-by': 'agent-lifecycle' });
    // Slow enough that the action is still running while the server is already gone.
    await control(sim, 'PUT', '/config', { timeScale: 0.1 });
    const deletion = await call<{ action: ActionJson }>(sim, 'DELETE', `/v1/servers/${server.id}`);
    expect(deletion.status).toBe(200);
    expect(deletion.body.action).toMatchObject({ command: 'delete_server', status: 'running', resources: [{ id: server.id, type: 'server' }] });

    const get = await call<HetznerErrorBody>(sim, 'GET', `/v1/servers/${server.id}`);
    expect(get.status).toBe(404);
    expect(get.body.error.code).toBe('not_found');
    const listed = await call<{ servers: ServerJson[] }>(sim, 'GET', `/v1/servers?label_selector=${encodeURIComponent('managed-by=agent-lifecycle')}`);
    expect(listed.body.servers).toEqual([]);
    expect((await call<HetznerErrorBody>(sim, 'DELETE', `/v1/servers/${server.id}`)).status).toBe(404);
    const reused = await createServer(sim, 'agent-gone');
    expect(reused.server.id).not.toBe(server.id);

    const running = await call<{ action: ActionJson }>(sim, 'GET', `/v1/actions/${deletion.body.action.id}`);
    expect(running.body.action.status).toBe('running');
    expect(await waitForAction(sim, deletion.body.action.id)).toMatchObject({ command: 'delete_server', status: 'success' });
  });
});

describe('failing actions', () => {
  afterEach(async () => {
    await control(sim, 'PUT', '/config', { actionErrors: { start_server: null, stop_server: null } });
  });

  it('ends a configured share of a command’s actions in error with the code and message, leaving the server as it was', async () => {
    const server = await runningServer(sim, 'agent-fails');
    await control(sim, 'PUT', '/config', { actionErrors: { start_server: { rate: 1, code: 'server_error', message: 'Cannot start server' } } });
    const poweroff = await call<{ action: ActionJson }>(sim, 'POST', `/v1/servers/${server.id}/actions/poweroff`);
    expect(await waitForAction(sim, poweroff.body.action.id)).toMatchObject({ status: 'success' });

    const poweron = await call<{ action: ActionJson }>(sim, 'POST', `/v1/servers/${server.id}/actions/poweron`);
    expect(poweron.status).toBe(201);
    const failed = await waitForAction(sim, poweron.body.action.id);
    expect(failed).toMatchObject({ command: 'start_server', status: 'error', error: { code: 'server_error', message: 'Cannot start server' } });
    expect(await serverStatus(sim, server.id)).toBe('off');
  });

  it('fails about the configured share, and none once the setting is cleared', async () => {
    const server = await runningServer(sim, 'agent-flaky');
    await control(sim, 'PUT', '/config', { actionErrors: { stop_server: { rate: 0.5, code: 'timeout', message: 'took too long' } } });
    const outcomes: string[] = [];
    for (let i = 0; i < 60; i += 1) {
      const poweroff = await call<{ action: ActionJson }>(sim, 'POST', `/v1/servers/${server.id}/actions/poweroff`);
      const done = await waitForAction(sim, poweroff.body.action.id);
      outcomes.push(done.status);
      if (done.status === 'success') {
        expect(await serverStatus(sim, server.id)).toBe('off');
        await waitForAction(sim, (await call<{ action: ActionJson }>(sim, 'POST', `/v1/servers/${server.id}/actions/poweron`)).body.action.id);
      } else {
        expect(await serverStatus(sim, server.id)).toBe('running');
      }
    }
    // Binomial(60, 0.5): mean 30, standard deviation about 3.9; 12..48 is over four deviations.
    const errors = outcomes.filter((status) => status === 'error').length;
    expect(errors).toBeGreaterThan(12);
    expect(errors).toBeLessThan(48);

    await control(sim, 'PUT', '/config', { actionErrors: { stop_server: null } });
    const after = await call<{ action: ActionJson }>(sim, 'POST', `/v1/servers/${server.id}/actions/poweroff`);
    expect((await waitForAction(sim, after.body.action.id)).status).toBe('success');
  });

  it('rejects a setting for a command that cannot fail, or a rate outside 0..1, naming the field', async () => {
    const command = await control<{ error: { code: string; message: string } }>(sim, 'PUT', '/config', { actionErrors: { delete_server: { rate: 1 } } });
    expect(command.status).toBe(400);
    expect(command.body.error).toMatchObject({ code: 'invalid_config', message: expect.stringContaining('actionErrors.delete_server') });
    const rate = await control<{ error: { code: string; message: string } }>(sim, 'PUT', '/config', { actionErrors: { start_server: { rate: 2 } } });
    expect(rate.status).toBe(400);
    expect(rate.body.error.message).toContain('actionErrors.start_server.rate');
    expect((await control<{ config: { actionErrors: unknown } }>(sim, 'GET', '/config')).body.config.actionErrors).toEqual({});
  });
});

describe('action endpoints', () => {
  it('gets actions by id, several at once, per server, and in a server list', async () => {
    const a = await createServer(sim, 'agent-x');
    const b = await createServer(sim, 'agent-y');

    const one = await call<{ action: ActionJson }>(sim, 'GET', `/v1/actions/${a.action.id}`);
    expect(one.body.action.id).toBe(a.action.id);

    const several = await call<{ actions: ActionJson[]; meta: { pagination: { total_entries: number } } }>(sim, 'GET', `/v1/actions?id=${a.action.id}&id=${b.action.id}`);
    expect(several.body.actions.map((x) => x.id).sort()).toEqual([a.action.id, b.action.id].sort());
    expect(several.body.meta.pagination.total_entries).toBe(2);

    const scoped = await call<{ action: ActionJson }>(sim, 'GET', `/v1/servers/${a.server.id}/actions/${a.action.id}`);
    expect(scoped.body.action.command).toBe('create_server');
    expect((await call(sim, 'GET', `/v1/servers/${b.server.id}/actions/${a.action.id}`)).status).toBe(404);

    const list = await call<{ actions: ActionJson[] }>(sim, 'GET', `/v1/servers/${a.server.id}/actions?sort=id:asc`);
    expect(list.body.actions.map((x) => x.command)).toEqual(['create_server', 'start_server']);
  });

  it('answers GET /v1/actions without an id with 400 invalid_input', async () => {
    await createServer(sim, 'agent-z');
    const answer = await call<HetznerErrorBody>(sim, 'GET', '/v1/actions');
    expect(answer.status).toBe(400);
    expect(answer.body.error.code).toBe('invalid_input');
    expect(answer.body.error.details.fields?.map((f) => f.name)).toEqual(['id']);
  });

  it('answers many ids at once, a page at a time as Hetzner paginates', async () => {
    const ids: number[] = [];
    for (let i = 0; i < 30; i += 1) {
      const created = await createServer(sim, `agent-many-${i}`);
      ids.push(created.action.id, ...created.next_actions.map((a) => a.id));
    }
    const query = ids.map((id) => `id=${id}`).join('&');
    type Page = { actions: ActionJson[]; meta: { pagination: { page: number; per_page: number; next_page: number | null; last_page: number; total_entries: number } } };
    const first = await call<Page>(sim, 'GET', `/v1/actions?${query}`);
    expect(first.body.actions).toHaveLength(25);
    expect(first.body.meta.pagination).toMatchObject({ page: 1, per_page: 25, next_page: 2, last_page: 3, total_entries: 60 });
    const seen = [...first.body.actions];
    for (let page = 2; page <= 3; page += 1) seen.push(...(await call<Page>(sim, 'GET', `/v1/actions?${query}&page=${page}`)).body.actions);
    expect(seen.map((a) => a.id).sort((a, b) => a - b)).toEqual([...ids].sort((a, b) => a - b));
  });

  it('answers 404 not_found for an unknown action', async () => {
    const answer = await call<HetznerErrorBody>(sim, 'GET', '/v1/actions/123');
    expect(answer.status).toBe(404);
    expect(answer.body.error.code).toBe('not_found');
  });
});
