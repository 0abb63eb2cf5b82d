// The control API as tests and operators use it: injected faults (count, probability,
// latency, hang), request counts by path template, state, reset and behaviour config.
import type { CloudSim } from '@agent-lifecycle/cloud-sim';
import { call, control, createServer, eventually, runningServer, sandbox, startSim } from './sim-client';

type Counts = Record<string, { total: number; byStatus: Record<string, number> }>;

let sim: CloudSim;
beforeAll(async () => {
  sim = await startSim();
});
afterAll(() => sim.close());
beforeEach(async () => {
  await control(sim, 'POST', '/reset');
  await control(sim, 'PUT', '/config', { timeScale: 0.001, rateLimit: { limit: 3600, refillPerSecond: 1 } });
});

describe('fault injection', () => {
  it('fails the next N matching calls in the API’s error shape, then lets calls through', async () => {
    const server = await runningServer(sim, 'agent-faulty');
    const added = await control<{ rules: Array<{ id: number }> }>(sim, 'POST', '/faults', { rules: [{ method: 'POST', path: '/v1/servers/*/actions/shutdown', status: 503, count: 2 }] });
    expect(added.status).toBe(201);

    const statuses: number[] = [];
    for (let i = 0; i < 3; i += 1) {
      const answer = await call<{ error?: { code: string } }>(sim, 'POST', `/v1/servers/${server.id}/actions/shutdown`);
      statuses.push(answer.status);
      if (answer.status === 503) expect(answer.body.error?.code).toBe('unavailable');
    }
    expect(statuses).toEqual([503, 503, 201]);
    expect((await call(sim, 'POST', `/v1/servers/${server.id}/actions/poweroff`)).status).not.toBe(503);

    const rules = await control<{ rules: Array<{ fired: number }> }>(sim, 'GET', '/faults');
    expect(rules.body.rules[0]?.fired).toBe(2);
  });

  it('fires with the configured probability', async () => {
    await control(sim, 'POST', '/faults', { rules: [{ method: 'GET', path: '/v1/servers', status: 500, code: 'server_error', probability: 0.3 }] });
    let failures = 0;
    const calls = 400;
    for (let i = 0; i < calls; i += 1) {
      const answer = await call(sim, 'GET', '/v1/servers');
      if (answer.status === 500) failures += 1;
      else expect(answer.status).toBe(200);
    }
    // Binomial(400, 0.3): mean 120, standard deviation about 9; ±40 is over four deviations.
    expect(failures).toBeGreaterThan(80);
    expect(failures).toBeLessThan(160);
    const counts = await control<Counts>(sim, 'GET', '/requests');
    expect(counts.body['GET /v1/servers']?.byStatus['500']).toBe(failures);
  });

  it('adds latency to matching calls without failing them', async () => {
    await control(sim, 'POST', '/faults', { rules: [{ path: '/api/v2/tailnet/*/devices', latencyMs: 150 }] });
    const started = Date.now();
    const answer = await call(sim, 'GET', '/api/v2/tailnet/-/devices');
    expect(answer.status).toBe(200);
    expect(Date.now() - started).toBeGreaterThanOrEqual(140);
  });

  it('hangs a matching call until the client gives up, and counts it as aborted', async () => {
    await control(sim, 'POST', '/faults', { rules: [{ method: 'GET', path: '/api/v2/device/**', hang: true, count: 1 }] });
    await expect(fetch(`${sim.url}/api/v2/device/123`, { headers: { authorization: 'Bearer k' }, signal: AbortSignal.timeout(200) })).rejects.toThrow();
    expect((await call(sim, 'GET', '/api/v2/device/123')).status).toBe(404);
    const counts = await eventually(async () => {
      const answer = await control<Counts>(sim, 'GET', '/requests');
      return answer.body['GET /api/v2/device/{id}']?.total === 2 ? answer.body : undefined;
    });
    expect(counts['GET /api/v2/device/{id}']?.byStatus).toEqual({ aborted: 1, '404': 1 });
  });

  it('answers injected Tailscale and GitHub faults in their own error shapes', async () => {
    await control(sim, 'POST', '/faults', {
      rules: [
        { path: '/api/v2/tailnet/-/devices', status: 500 },
        { path: '/repos/**', status: 502 },
      ],
    });
    const tailscale = await call<{ message: string }>(sim, 'GET', '/api/v2/tailnet/-/devices');
    expect(tailscale.status).toBe(500);
    expect(typeof tailscale.body.message).toBe('string');
    const github = await call<{ message: string }>(sim, 'POST', `/repos/${sandbox.github.repo}/actions/workflows/${sandbox.github.workflow}/dispatches`, { body: { ref: 'main', inputs: {} } });
    expect(github.status).toBe(502);
    expect(typeof github.body.message).toBe('string');
  });

  it('clears every rule on DELETE /_sim/faults', async () => {
    await control(sim, 'POST', '/faults', { rules: [{ path: '/v1/**', status: 500 }] });
    expect((await call(sim, 'GET', '/v1/servers')).status).toBe(500);
    expect((await control(sim, 'DELETE', '/faults')).status).toBe(204);
    expect((await call(sim, 'GET', '/v1/servers')).status).toBe(200);
  });

  it('rejects a malformed rule with 400 and adds nothing', async () => {
    const answer = await control<{ error: { code: string } }>(sim, 'POST', '/faults', { rules: [{ path: '/v1/servers', status: 503 }, { path: 'no-slash', status: 500 }] });
    expect(answer.status).toBe(400);
    expect(answer.body.error.code).toBe('invalid_fault');
    expect((await control<{ rules: unknown[] }>(sim, 'GET', '/faults')).body.rules).toEqual([]);
  });
});

describe('request counts', () => {
  it('counts cloud calls by method and path template with their statuses, but not control calls', async () => {
    const server = await runningServer(sim, 'agent-counted');
    expect((await control(sim, 'DELETE', '/requests')).status).toBe(204);
    await control(sim, 'PUT', '/config', { timeScale: 0.1 }); // the shutdown request takes 100 ms

    await call(sim, 'GET', `/v1/servers/${server.id}`);
    await call(sim, 'GET', '/v1/servers/424242');
    await call(sim, 'POST', `/v1/servers/${server.id}/actions/shutdown`);
    await call(sim, 'POST', `/v1/servers/${server.id}/actions/shutdown`);
    await call(sim, 'GET', '/api/v2/tailnet/-/devices');
    await control(sim, 'GET', '/state');

    const counts = await control<Counts>(sim, 'GET', '/requests');
    expect(counts.body).toEqual({
      'GET /api/v2/tailnet/{tailnet}/devices': { total: 1, byStatus: { '200': 1 } },
      'GET /v1/servers/{id}': { total: 2, byStatus: { '200': 1, '404': 1 } },
      // The second shutdown meets the lock of the first.
      'POST /v1/servers/{id}/actions/shutdown': { total: 2, byStatus: { '201': 1, '423': 1 } },
    });
  });
});

describe('state and reset', () => {
  it('shows servers, devices and runs in /_sim/state and forgets them all on reset', async () => {
    await createServer(sim, 'agent-state', { 'agent-id': 's1' });
    await control(sim, 'POST', '/devices', { hostname: 'agent-s1', tags: ['tag:agent'] });
    await call(sim, 'POST', `/repos/${sandbox.github.repo}/actions/workflows/${sandbox.github.workflow}/dispatches`, { body: { ref: 'main', inputs: { job_id: 'j', agent_id: 's2', callback_url: 'http://127.0.0.1:9/none' } } });
    await control(sim, 'POST', '/faults', { rules: [{ path: '/nothing', status: 500 }] });

    const state = await control<{ servers: Array<{ name: string; labels: Record<string, string> }>; devices: Array<{ hostname: string }>; workflowRuns: unknown[] }>(sim, 'GET', '/state');
    expect(state.body.servers.map((s) => [s.name, s.labels])).toEqual([['agent-state', { 'agent-id': 's1' }]]);
    expect(state.body.devices.map((d) => d.hostname)).toEqual(['agent-s1']);
    expect(state.body.workflowRuns).toHaveLength(1);

    expect((await control(sim, 'POST', '/reset')).status).toBe(204);
    const after = await control(sim, 'GET', '/state');
    expect(after.body).toEqual({ servers: [], images: [], devices: [], workflowRuns: [] });
    expect((await control<{ rules: unknown[] }>(sim, 'GET', '/faults')).body.rules).toEqual([]);
    expect((await control(sim, 'GET', '/requests')).body).toEqual({});
  });

  it('keeps the behaviour config across a reset and reports it', async () => {
    const put = await control<{ config: { timeScale: number; acpiIgnoreRate: number; provisioning: { failAtStep: string | null } } }>(sim, 'PUT', '/config', {
      acpiIgnoreRate: 0.5,
      provisioning: { failAtStep: 'tailscale' },
    });
    expect(put.body.config).toMatchObject({ timeScale: 0.001, acpiIgnoreRate: 0.5, provisioning: { failAtStep: 'tailscale' } });
    await control(sim, 'POST', '/reset');
    const get = await control<{ config: { acpiIgnoreRate: number } }>(sim, 'GET', '/config');
    expect(get.body.config.acpiIgnoreRate).toBe(0.5);
    await control(sim, 'PUT', '/config', { acpiIgnoreRate: 0, provisioning: { failAtStep: null } });
  });

  it('rejects an unknown setting with 400 invalid_config', async () => {
    const answer = await control<{ error: { code: string; message: string } }>(sim, 'PUT', '/config', { timescale: 2 });
    expect(answer.status).toBe(400);
    expect(answer.body.error.code).toBe('invalid_config');
  });
});
