// Which credentials the simulator accepts: the service's sandbox defaults out of the box,
// exactly those a service configuration holds when started for it (as `npm start` and
// `npm run sim` do), and whatever a test sets through `/_sim/credentials`.
import { loadConfig } from '@agent-lifecycle/config';
import { simCredentialsFor, startCloudSim, type CloudSim, type SimCredentials } from '@agent-lifecycle/cloud-sim';
import { call, callbackSecret, control, sandbox, startSim } from './sim-client';

describe('credentials out of the box', () => {
  let sim: CloudSim;
  beforeAll(async () => {
    sim = await startSim();
  });
  afterAll(() => sim.close());

  it('accepts the sandbox credentials the service uses when none are configured', async () => {
    const config = loadConfig({ GITHUB_CALLBACK_SECRET: 'x', STRIPE_WEBHOOK_SECRET: 'x', BULL_BOARD_PASSWORD: 'x' });
    expect((await call(sim, 'GET', '/v1/servers', { token: config.hetzner.token })).status).toBe(200);
    expect((await call(sim, 'GET', `/api/v2/tailnet/${config.tailscale.tailnet}/devices`, { token: config.tailscale.apiKey ?? null })).status).toBe(200);
    expect((await call(sim, 'GET', `/repos/${config.github.repo}/actions/workflows/${config.github.workflow}`, { token: config.github.token })).status).toBe(200);
  });

  it('keeps its credentials across a reset, and shows them on GET /_sim/credentials', async () => {
    await control(sim, 'POST', '/reset');
    const { body } = await control<{ credentials: SimCredentials }>(sim, 'GET', '/credentials');
    expect(body.credentials.hetzner.projects).toEqual([{ name: 'sandbox', tokens: [sandbox.hetzner.token] }]);
    expect(body.credentials.tailscale.oauthClients.map((c) => [c.clientId, c.scopes])).toEqual([[sandbox.tailscale.oauthClient.clientId, ['devices:core']]]);
    expect(body.credentials.github.workflows).toEqual([
      { repository: sandbox.github.repo, workflow: sandbox.github.workflow, refs: ['main'], inputs: ['job_id', 'agent_id', 'callback_url'], hetznerProject: 'sandbox' },
    ]);
  });

  it('rejects malformed credentials with 400 naming the field, and changes nothing', async () => {
    const before = (await control<{ credentials: SimCredentials }>(sim, 'GET', '/credentials')).body.credentials;
    const cases: Array<[unknown, string]> = [
      [{ hetzner: { projects: [{ name: 'p', tokens: [] }] } }, 'hetzner.projects[0].tokens'],
      [{ hetzner: { projects: [{ name: 'p', tokens: ['t'] }, { name: 'q', tokens: ['t'] }] } }, 'hetzner.projects'],
      [{ tailscale: { oauthClients: [{ clientId: 'c', clientSecret: 's' }] } }, 'tailscale.oauthClients[0].scopes'],
      [{ github: { tokens: [{ token: 't', actions: 'admin' }] } }, 'github.tokens[0].actions'],
      [{ github: { workflows: [{ repository: 'not a repo', workflow: 'w.yml' }] } }, 'github.workflows[0].repository'],
      [{ github: { workflows: [{ repository: 'a/b', workflow: 'w.yml', hetznerProject: 'nowhere' }] } }, 'github.workflows[0].hetznerProject'],
      [{ stripe: {} }, 'stripe'],
    ];
    for (const [body, field] of cases) {
      const answer = await control<{ error: { code: string; message: string } }>(sim, 'PUT', '/credentials', body);
      expect(answer.status).toBe(400);
      expect(answer.body.error).toMatchObject({ code: 'invalid_credentials', message: expect.stringContaining(field) });
    }
    expect((await control<{ credentials: SimCredentials }>(sim, 'GET', '/credentials')).body.credentials).toEqual(before);
  });

  it('replaces only the clouds a PUT names', async () => {
    const answer = await control<{ credentials: SimCredentials }>(sim, 'PUT', '/credentials', { hetzner: { projects: [{ name: 'sandbox', tokens: [sandbox.hetzner.token, 'second'] }] } });
    expect(answer.status).toBe(200);
    expect((await call(sim, 'GET', '/v1/servers', { token: 'second' })).status).toBe(200);
    expect((await call(sim, 'GET', '/api/v2/tailnet/-/devices')).status).toBe(200);
    expect(answer.body.credentials.github.tokens).toEqual([{ token: sandbox.github.token, actions: 'write' }]);
  });
});

describe('credentials of a service configuration', () => {
  let sim: CloudSim;
  const env = {
    GITHUB_CALLBACK_SECRET: callbackSecret,
    STRIPE_WEBHOOK_SECRET: 'x',
    BULL_BOARD_PASSWORD: 'x',
    GITHUB_REPO: 'acme/fleet',
    GITHUB_WORKFLOW: 'agents.yml',
    TAILSCALE_TAILNET: 'acme.example',
  };

  beforeAll(async () => {
    sim = await startCloudSim({ callbackSecret, config: { timeScale: 0.001 }, credentials: simCredentialsFor(loadConfig(env)) });
  });
  afterAll(() => sim.close());

  it('accepts what the configuration holds, beside the built-in sandbox credentials', async () => {
    const config = loadConfig(env);
    expect((await call(sim, 'GET', `/api/v2/tailnet/${config.tailscale.tailnet}/devices`)).status).toBe(200);
    expect((await call(sim, 'GET', `/repos/acme/fleet/actions/workflows/agents.yml`, { token: config.github.token })).status).toBe(200);
    expect((await call(sim, 'GET', `/repos/${sandbox.github.repo}/actions/workflows/${sandbox.github.workflow}`)).status).toBe(200);
  });

  it('refuses what the configuration does not hold', async () => {
    expect((await call(sim, 'GET', '/repos/acme/fleet/actions/workflows/other.yml')).status).toBe(404);
    expect((await call(sim, 'GET', '/api/v2/tailnet/other.example/devices')).status).toBe(404);
    expect((await call(sim, 'GET', '/v1/servers', { token: 'not-configured' })).status).toBe(401);
  });
});
