// Driving a cloud simulator started inside a test: its control API, request counts, its
// credentials, and the calls the ports have no use for (creating servers, devices joining).
import { randomUUID } from 'node:crypto';
import { sandboxCredentials } from '@agent-lifecycle/config';
import { startCloudSim, type CloudSim, type SimConfigPatch } from '@agent-lifecycle/cloud-sim';

export const TEST_CALLBACK_SECRET = 'test-callback-secret';

/** The Hetzner token of the simulator's built-in sandbox project (the service's default token). */
export const SIM_HETZNER_TOKEN = sandboxCredentials.hetzner.token;
/** The simulator's built-in Tailscale API key (the service's default key). */
export const SIM_TAILSCALE_KEY = sandboxCredentials.tailscale.apiKey;

export function startTestSim(config: SimConfigPatch = {}): Promise<CloudSim> {
  return startCloudSim({ port: 0, callbackSecret: TEST_CALLBACK_SECRET, config: { timeScale: 0.001, ...config } });
}

/** A `/_sim` control call; fails the test on any error answer. */
export async function simControl<T = unknown>(sim: CloudSim, method: string, path: string, body?: unknown): Promise<T> {
  const response = await fetch(`${sim.url}/_sim${path}`, {
    method,
    headers: body === undefined ? {} : { 'content-type': 'application/json' },
    body: body === undefined ? undefined : JSON.stringify(body),
  });
  const text = await response.text();
  if (!response.ok) throw new Error(`${method} /_sim${path} answered ${response.status}: ${text}`);
  return (text === '' ? undefined : JSON.parse(text)) as T;
}

export type RequestCounts = Record<string, { total: number; byStatus: Record<string, number> } | undefined>;

/** Calls the simulator served, by `"METHOD /path/template"`. */
export const simRequestCounts = (sim: CloudSim) => simControl<RequestCounts>(sim, 'GET', '/requests');

/** How many calls each endpoint received between two snapshots of the counts. */
export function callsBetween(before: RequestCounts, after: RequestCounts): Record<string, number> {
  const calls: Record<string, number> = {};
  for (const [key, value] of Object.entries(after)) {
    const delta = (value?.total ?? 0) - (before[key]?.total ?? 0);
    if (delta > 0) calls[key] = delta;
  }
  return calls;
}

export const addSimFaults = (sim: CloudSim, rules: unknown[]) => simControl(sim, 'POST', '/faults', { rules });
export const clearSimFaults = (sim: CloudSim) => simControl(sim, 'DELETE', '/faults');

/**
 * A new Hetzner project in the simulator, with a token of its own: its own rate-limit bucket,
 * the same servers. Answers the token.
 */
export function addSimHetznerProject(sim: CloudSim): string {
  const token = `test-project-${randomUUID()}`;
  const { hetzner } = sim.credentials();
  sim.setCredentials({ hetzner: { projects: [...hetzner.projects, { name: token, tokens: [token] }] } });
  return token;
}

/** Creates a server the way the provisioning workflow would (with a project `token`), returning its id. */
export async function createSimServer(sim: CloudSim, token: string, name: string, labels: Record<string, string> = {}, extra: Record<string, unknown> = {}): Promise<number> {
  const response = await fetch(`${sim.url}/v1/servers`, {
    method: 'POST',
    headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json' },
    body: JSON.stringify({ name, server_type: 'cx22', image: 'ubuntu-24.04', labels, ...extra }),
  });
  const body = (await response.json()) as { server?: { id: number } };
  if (response.status !== 201 || !body.server) throw new Error(`creating ${name} answered ${response.status}: ${JSON.stringify(body)}`);
  return body.server.id;
}

/** Adds a device to the simulated tailnet, as a machine joining it would; returns its id. */
export async function addSimDevice(sim: CloudSim, hostname: string): Promise<string> {
  const { device } = await simControl<{ device: { id: string } }>(sim, 'POST', '/devices', { hostname, tags: ['tag:agent'] });
  return device.id;
}

/** Polls `probe` until it returns a value other than undefined. */
export async function eventually<T>(probe: () => T | undefined | Promise<T | undefined>, timeoutMs = 5000, what = 'condition'): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = await probe();
    if (value !== undefined) return value;
    if (Date.now() > deadline) throw new Error(`${what} not met within ${timeoutMs} ms`);
    await new Promise((resolve) => setTimeout(resolve, 10));
  }
}

/**
 * The environment of a production deployment whose three clouds are this simulator, with
 * the sandbox credentials it accepts: what the preflight and `agentctl doctor` check.
 * `changes` set variables, or remove them when undefined.
 */
export function simProductionEnv(sim: CloudSim, changes: Record<string, string | undefined> = {}): Record<string, string> {
  const { hetzner, tailscale, github } = sandboxCredentials;
  const env: Record<string, string | undefined> = {
    NODE_ENV: 'production',
    DATABASE_URL: 'postgresql://postgres@127.0.0.1:5432/unused',
    HCLOUD_TOKEN: hetzner.token,
    HCLOUD_ENDPOINT: `${sim.url}/v1`,
    TAILSCALE_API_KEY: tailscale.apiKey,
    TAILSCALE_API_URL: `${sim.url}/api/v2`,
    GITHUB_TOKEN: github.token,
    GITHUB_REPO: github.repo,
    GITHUB_WORKFLOW: github.workflow,
    GITHUB_API_URL: sim.url,
    GITHUB_CALLBACK_SECRET: TEST_CALLBACK_SECRET,
    STRIPE_WEBHOOK_SECRET: 'whsec_test_secret',
    BULL_BOARD_USER: 'operator',
    BULL_BOARD_PASSWORD: 'test-password',
    ...changes,
  };
  return Object.fromEntries(Object.entries(env).filter((entry): entry is [string, string] => entry[1] !== undefined));
}
