// Test helpers for talking to a simulator started in the test process: JSON calls to its
// three clouds and its control API, and polling for asynchronous outcomes.
import { sandboxCredentials } from '@agent-lifecycle/config';
import { startCloudSim, type CloudSim, type SimConfigPatch } from '@agent-lifecycle/cloud-sim';

export const callbackSecret = 'test-callback-secret';

/** The credentials the simulator accepts out of the box (the service's sandbox defaults). */
export const sandbox = sandboxCredentials;

/** The sandbox credential of the cloud a path belongs to. */
function defaultToken(path: string): string {
  if (path.startsWith('/api/v2')) return sandbox.tailscale.apiKey;
  if (path.startsWith('/repos')) return sandbox.github.token;
  return sandbox.hetzner.token;
}

export function startSim(config: SimConfigPatch = {}): Promise<CloudSim> {
  return startCloudSim({ port: 0, callbackSecret, config: { timeScale: 0.001, ...config } });
}

export interface JsonAnswer<T = Record<string, unknown>> {
  status: number;
  headers: Headers;
  body: T;
}

export async function call<T = Record<string, unknown>>(
  sim: CloudSim,
  method: string,
  path: string,
  options: { token?: string | null; body?: unknown; headers?: Record<string, string> } = {},
): Promise<JsonAnswer<T>> {
  const headers: Record<string, string> = { ...options.headers };
  const token = options.token === undefined ? defaultToken(path) : options.token;
  if (token !== null) headers.authorization = `Bearer ${token}`;
  if (options.body !== undefined) headers['content-type'] = 'application/json';
  const response = await fetch(`${sim.url}${path}`, { method, headers, body: options.body === undefined ? undefined : JSON.stringify(options.body) });
  const text = await response.text();
  return { status: response.status, headers: response.headers, body: (text === '' ? {} : JSON.parse(text)) as T };
}

/** Control API call (no token). */
export function control<T = Record<string, unknown>>(sim: CloudSim, method: string, path: string, body?: unknown): Promise<JsonAnswer<T>> {
  return call<T>(sim, method, `/_sim${path}`, { token: null, body });
}

export interface ServerJson {
  id: number;
  name: string;
  status: string;
  labels: Record<string, string>;
  locked: boolean;
  public_net: { ipv4: { ip: string } | null };
}

export interface ActionJson {
  id: number;
  command: string;
  status: string;
  progress: number;
  resources: Array<{ id: number; type: string }>;
}

export async function createServer(sim: CloudSim, name: string, labels: Record<string, string> = {}, token?: string): Promise<{ server: ServerJson; action: ActionJson; next_actions: ActionJson[] }> {
  const answer = await call<{ server: ServerJson; action: ActionJson; next_actions: ActionJson[] }>(sim, 'POST', '/v1/servers', {
    token,
    body: { name, server_type: 'cx22', image: 'ubuntu-24.04', labels },
  });
  if (answer.status !== 201) throw new Error(`create ${name} answered ${answer.status}: ${JSON.stringify(answer.body)}`);
  return answer.body;
}

export async function eventually<T>(probe: () => Promise<T | undefined>, timeoutMs = 5_000, intervalMs = 5): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = await probe();
    if (value !== undefined) return value;
    if (Date.now() > deadline) throw new Error(`condition not met within ${timeoutMs} ms`);
    await new Promise((resolve) => setTimeout(resolve, intervalMs));
  }
}

export async function waitForAction(sim: CloudSim, actionId: number): Promise<ActionJson> {
  return eventually(async () => {
    const { body } = await call<{ action: ActionJson }>(sim, 'GET', `/v1/actions/${actionId}`);
    return body.action.status === 'running' ? undefined : body.action;
  });
}

export async function serverStatus(sim: CloudSim, id: number): Promise<string | undefined> {
  const answer = await call<{ server?: ServerJson }>(sim, 'GET', `/v1/servers/${id}`);
  return answer.status === 404 ? undefined : answer.body.server?.status;
}

/** Creates a server and waits until it runs. */
export async function runningServer(sim: CloudSim, name: string, labels: Record<string, string> = {}): Promise<ServerJson> {
  const { server, action } = await createServer(sim, name, labels);
  await waitForAction(sim, action.id);
  await eventually(async () => ((await serverStatus(sim, server.id)) === 'running' ? true : undefined));
  return server;
}
