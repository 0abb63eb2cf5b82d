// Talking to a cloud simulator started inside the test: its control API and the one
// Hetzner call the Cloud port has no use for (creating servers), both over plain HTTP.
import { startCloudSim, type CloudSim, type SimConfigPatch } from '@agent-lifecycle/cloud-sim';

export function startSim(config: SimConfigPatch = {}): Promise<CloudSim> {
  return startCloudSim({ port: 0, callbackSecret: 'test-callback-secret', config: { timeScale: 0.001, ...config } });
}

/** A `/_sim` control call; fails the test on any error answer. */
export async function control<T = unknown>(sim: CloudSim, method: string, path: string, body?: unknown): Promise<T> {
  const response = await fetch(`${sim.url}/_sim${path}`, {
    method,
    headers: body === undefined ? {} : { 'content-type': 'application/json' },
    body: body === undefined ? undefined : JSON.stringify(body),
  });
  const text = await response.text();
  if (!response.ok) throw new Error(`${method} /_sim${path} answered ${response.status}: ${text}`);
  return (text === '' ? undefined : JSON.parse(text)) as T;
}

export interface RequestCounts {
  [route: string]: { total: number; byStatus: Record<string, number> } | undefined;
}

export const requestCounts = (sim: CloudSim) => control<RequestCounts>(sim, 'GET', '/requests');

/** Creates a server the way the provisioning workflow would, returning its id. */
export async function createServer(
  sim: CloudSim,
  token: string,
  name: string,
  labels: Record<string, string> = {},
  extra: Record<string, unknown> = {},
): Promise<number> {
  const response = await fetch(`${sim.url}/v1/servers`, {
    method: 'POST',
    headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json' },
    body: JSON.stringify({ name, server_type: 'cx22', image: 'ubuntu-24.04', labels, ...extra }),
  });
  const body = (await response.json()) as { server?: { id: number } };
  if (response.status !== 201 || !body.server) throw new Error(`creating ${name} answered ${response.status}: ${JSON.stringify(body)}`);
  return body.server.id;
}

/** Polls `probe` until it returns a value. */
export async function eventually<T>(probe: () => Promise<T | undefined>, timeoutMs = 5000): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = await probe();
    if (value !== undefined) return value;
    if (Date.now() > deadline) throw new Error(`condition not met within ${timeoutMs} ms`);
    await new Promise((resolve) => setTimeout(resolve, 10));
  }
}
