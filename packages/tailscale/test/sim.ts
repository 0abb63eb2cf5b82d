// Talking to a cloud simulator started inside the test through its control API over plain
// HTTP: configuration, faults, request counts, and devices joining the tailnet.
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

/** Adds a device to the simulated tailnet, as a machine joining it would; returns its id. */
export async function addDevice(sim: CloudSim, hostname: string): Promise<string> {
  const { device } = await control<{ device: { id: string } }>(sim, 'POST', '/devices', { hostname, tags: ['tag:agent'] });
  return device.id;
}
