// The hcloud-js client the hetzner adapter builds on, pointed at the cloud simulator:
// the simulated API must be faithful enough that it parses every answer unchanged.
import { createRequire } from 'node:module';
import { startCloudSim, type CloudSim } from '@agent-lifecycle/cloud-sim';

// hcloud-js ships no type declarations; this is the slice of it the test uses.
interface HcloudAction {
  id: number;
  command: string;
  status: 'running' | 'success' | 'error';
  progress: number;
  started: Date;
  resources: Array<{ id: number; type: string }>;
}
interface HcloudServer {
  id: number;
  name: string;
  status: string;
  created: Date;
  labels: Record<string, string>;
  publicNet: { ipv4: { ip: string } };
  serverType: { name: string; cores: number };
  datacenter: { name: string; location: { name: string } };
  image: { name: string } | null;
}
interface HcloudPage {
  page: number;
  perPage: number;
  nextPage: number | null;
  lastPage: number;
  totalEntries: number;
}
interface HcloudServerBuilder {
  serverType(name: string): HcloudServerBuilder;
  image(name: string): HcloudServerBuilder;
  location(name: string): HcloudServerBuilder;
  labels(labels: Record<string, string>): HcloudServerBuilder;
  create(): Promise<{ server: HcloudServer; action: HcloudAction }>;
}
interface HcloudClient {
  ratelimit: { limit: number; remaining: number; reset: Date } | null;
  servers: {
    list(params?: { labelSelector?: string; name?: string; perPage?: number; page?: number }): Promise<HcloudPage & { servers: HcloudServer[] }>;
    get(id: number): Promise<HcloudServer>;
    build(name: string): HcloudServerBuilder;
    delete(id: number): Promise<HcloudAction>;
    actions: {
      get(serverId: number, actionId: number): Promise<HcloudAction>;
      list(serverId: number): Promise<HcloudPage & { actions: HcloudAction[] }>;
      shutdown(id: number): Promise<HcloudAction>;
      powerOff(id: number): Promise<HcloudAction>;
      powerOn(id: number): Promise<HcloudAction>;
    };
  };
  actions: {
    get(id: number): Promise<HcloudAction>;
  };
}
interface HcloudApiError {
  code: string;
  message: string;
}
const hcloudJs = createRequire(__filename)('hcloud-js') as {
  Client: new (options: { token: string; baseURL?: string; timeout?: number }) => HcloudClient;
  APIError: new (...args: unknown[]) => HcloudApiError;
};

let sim: CloudSim;
let client: HcloudClient;

async function control(method: string, path: string, body?: unknown): Promise<void> {
  const response = await fetch(`${sim.url}/_sim${path}`, { method, headers: { 'content-type': 'application/json' }, body: body === undefined ? undefined : JSON.stringify(body) });
  if (!response.ok) throw new Error(`${method} /_sim${path} answered ${response.status}`);
}

async function settled(actionId: number): Promise<HcloudAction> {
  const deadline = Date.now() + 5_000;
  for (;;) {
    const action = await client.actions.get(actionId);
    if (action.status !== 'running') return action;
    if (Date.now() > deadline) throw new Error(`action ${actionId} still running`);
    await new Promise((resolve) => setTimeout(resolve, 5));
  }
}

async function rejection(promise: Promise<unknown>): Promise<HcloudApiError> {
  try {
    await promise;
  } catch (error) {
    return error as HcloudApiError;
  }
  throw new Error('expected the call to fail');
}

async function createRunning(name: string, labels: Record<string, string>): Promise<HcloudServer> {
  const { server, action } = await client.servers.build(name).serverType('cx22').image('ubuntu-24.04').labels(labels).create();
  await settled(action.id);
  return server;
}

beforeAll(async () => {
  sim = await startCloudSim({ port: 0, callbackSecret: 'unused', config: { timeScale: 0.001 } });
  client = new hcloudJs.Client({ token: 'hcloud-js-token', baseURL: `${sim.url}/v1` });
});
afterAll(() => sim.close());
beforeEach(() => control('POST', '/reset'));

describe('hcloud-js against the cloud simulator', () => {
  it('creates a labelled server and reads its create action', async () => {
    const { server, action } = await client.servers.build('js-1').serverType('cx22').image('ubuntu-24.04').location('hel1').labels({ 'managed-by': 'agent-lifecycle', 'agent-id': 'j1' }).create();
    expect(server).toMatchObject({ name: 'js-1', status: 'initializing', labels: { 'managed-by': 'agent-lifecycle', 'agent-id': 'j1' } });
    expect(server.created).toBeInstanceOf(Date);
    expect(server.datacenter.location.name).toBe('hel1');
    expect(action).toMatchObject({ command: 'create_server', status: 'running', resources: [{ id: server.id, type: 'server' }] });

    const done = await settled(action.id);
    expect(done).toMatchObject({ status: 'success', progress: 100 });
    const viaServer = await client.servers.actions.get(server.id, action.id);
    expect(viaServer.id).toBe(action.id);
  });

  it('lists servers by label selector and gets one', async () => {
    const ours = await createRunning('agent-j2', { 'managed-by': 'agent-lifecycle', 'agent-id': 'j2' });
    await createRunning('other', { team: 'web' });

    const page = await client.servers.list({ labelSelector: 'managed-by=agent-lifecycle,agent-id in (j2,j3)' });
    expect(page.servers.map((s) => s.name)).toEqual(['agent-j2']);
    expect(page).toMatchObject({ page: 1, nextPage: null, lastPage: 1, totalEntries: 1 });

    const server = await client.servers.get(ours.id);
    expect(server).toMatchObject({ id: ours.id, name: 'agent-j2', status: 'running', serverType: { name: 'cx22', cores: 2 }, image: { name: 'ubuntu-24.04' } });
    expect(server.publicNet.ipv4.ip).toMatch(/^\d+\.\d+\.\d+\.\d+$/);
  });

  it('shuts down, powers off and powers on a server through its actions', async () => {
    await control('PUT', '/config', { acpiIgnoreRate: 1 });
    const server = await createRunning('agent-j3', {});

    const shutdown = await client.servers.actions.shutdown(server.id);
    expect(shutdown.command).toBe('shutdown_server');
    expect((await settled(shutdown.id)).status).toBe('success');
    expect((await client.servers.get(server.id)).status).toBe('running'); // the guest ignored ACPI

    const off = await client.servers.actions.powerOff(server.id);
    expect((await settled(off.id)).status).toBe('success');
    expect((await client.servers.get(server.id)).status).toBe('off');

    const on = await client.servers.actions.powerOn(server.id);
    expect((await settled(on.id)).status).toBe('success');
    expect((await client.servers.get(server.id)).status).toBe('running');

    const history = await client.servers.actions.list(server.id);
    expect(history.actions.map((a) => a.command)).toEqual(expect.arrayContaining(['create_server', 'shutdown_server', 'stop_server', 'start_server']));
    await control('PUT', '/config', { acpiIgnoreRate: 0 });
  });

  it('deletes a server, after which getting it fails with not_found', async () => {
    const server = await createRunning('agent-j4', {});
    const deletion = await client.servers.delete(server.id);
    expect(deletion.command).toBe('delete_server');
    await settled(deletion.id);
    const error = await rejection(client.servers.get(server.id));
    expect(error).toBeInstanceOf(hcloudJs.APIError);
    expect(error.code).toBe('not_found');
  });

  it('surfaces locked and rate_limit_exceeded as API errors with Hetzner’s codes', async () => {
    const server = await createRunning('agent-j5', {});
    await control('PUT', '/config', { timeScale: 0.1 });
    await client.servers.actions.powerOff(server.id);
    expect((await rejection(client.servers.actions.powerOn(server.id))).code).toBe('locked');
    await control('PUT', '/config', { timeScale: 0.001 });

    await control('PUT', '/config', { rateLimit: { limit: 2, refillPerSecond: 0.01 } });
    await client.servers.list();
    expect(client.ratelimit).toMatchObject({ limit: 2, remaining: 1 });
    expect(client.ratelimit?.reset.getTime()).toBeGreaterThan(Date.now());
    await client.servers.list();
    const limited = await rejection(client.servers.list());
    expect(limited).toBeInstanceOf(hcloudJs.APIError);
    expect(limited.code).toBe('rate_limit_exceeded');
    await control('PUT', '/config', { rateLimit: { limit: 3600, refillPerSecond: 1 } });
  });
});
