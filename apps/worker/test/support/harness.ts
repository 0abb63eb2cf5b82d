// An engine under test: its own database, a simulator, BullMQ workers on the real Redis
// with a fresh prefix, quick timings, and helpers to put agents and servers in place.
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { startCloudSim, type CloudSim } from '@agent-lifecycle/cloud-sim';
import type { Config } from '@agent-lifecycle/config';
import type { Agent, Db, Operation } from '@agent-lifecycle/db';
import {
  createBilling,
  createOperationRequests,
  createProvisioningCallbacks,
  type EngineSettings,
  type ProvisioningCallback,
} from '@agent-lifecycle/lifecycle';
import { createLogger } from '@agent-lifecycle/logger';
import {
  SIM_HETZNER_TOKEN,
  TEST_CALLBACK_SECRET,
  addSimDevice,
  addSimFaults,
  clearSimFaults,
  createSimServer,
  createTestDatabase,
  simRequestCounts,
  testConfig,
  type TestDatabase,
} from '@agent-lifecycle/testing';
export { callsBetween } from '@agent-lifecycle/testing';
import type { QueueName } from '@agent-lifecycle/jobs';
import { startWorkers, type WorkerProcess, type WorkerProcessOptions } from '../../src';

export const quickSettings: Partial<EngineSettings> = { pollScale: 0.01, stopGraceMs: 300, turnDelayMs: 50, leaseMs: 3_000, staleOperationMs: 200, maxParkMs: 1_000 };

export interface HarnessOptions {
  workers?: Partial<WorkerProcessOptions> | false;
  simConfig?: Parameters<typeof startCloudSim>[0]['config'];
  /** Extra environment for the configuration, e.g. HETZNER_RATE_LIMIT_PER_HOUR. */
  env?: Record<string, string>;
}

export interface Harness {
  db: Db;
  sim: CloudSim;
  config: Config;
  workers: WorkerProcess;
  requests: ReturnType<typeof createOperationRequests>;
  billing: ReturnType<typeof createBilling>;
  callbacks: ReturnType<typeof createProvisioningCallbacks>;
  startMoreWorkers(options?: Partial<WorkerProcessOptions>): Promise<WorkerProcess>;
  close(): Promise<void>;
}

const logger = createLogger('test', { level: (process.env.TEST_LOG_LEVEL as 'silent' | undefined) ?? 'silent' });

/** Receives the simulated workflow's callbacks and applies them, as the ingress would. */
async function startCallbackReceiver(apply: (deliveryId: string, body: ProvisioningCallback) => Promise<unknown>): Promise<{ server: Server; url: string }> {
  const server = createServer((req, res) => {
    let body = '';
    req.on('data', (chunk) => (body += chunk));
    req.on('end', () => {
      apply(String(req.headers['x-delivery-id']), JSON.parse(body) as ProvisioningCallback).then(
        () => res.writeHead(200).end('{"received":true}'),
        () => res.writeHead(500).end(),
      );
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return { server, url: `http://127.0.0.1:${(server.address() as AddressInfo).port}/api/webhooks/github` };
}

export async function startHarness(options: HarnessOptions = {}): Promise<Harness> {
  const testDb: TestDatabase = await createTestDatabase();
  const sim = await startCloudSim({ callbackSecret: TEST_CALLBACK_SECRET, config: { timeScale: 0.001, ...options.simConfig } });
  // A generous request budget unless a test sets its own: the simulated project's bucket (3600) outlasts any test file.
  const config = testConfig({ SIM_PORT: String(sim.port), DATABASE_URL: testDb.url, HETZNER_RATE_LIMIT_PER_HOUR: String(100 * 3600), ...options.env });
  const extra: WorkerProcess[] = [];
  const receiver = await startCallbackReceiver((id, body) => callbacks.applyProvisioningCallback(id, body));
  const start = (overrides: Partial<WorkerProcessOptions> = {}) =>
    startWorkers({
      config,
      logger,
      db: testDb.db,
      backoffScale: 0.01,
      // The maintenance queue is left out: tests call engine.sweep() and engine.reconcile() themselves.
      queues: ['hetzner', 'tailscale', 'github'],
      ...overrides,
      settings: { ...quickSettings, callbackUrl: receiver.url, ...overrides.settings },
    });
  const workers = await start(options.workers === false ? { queues: [] as QueueName[] } : options.workers);
  const queue = workers.jobQueues;
  const callbacks = createProvisioningCallbacks({ db: testDb.db, queue, logger });
  return {
    db: testDb.db,
    sim,
    config,
    workers,
    requests: createOperationRequests({ db: testDb.db, queue, logger }),
    billing: createBilling({ db: testDb.db, queue, logger }),
    callbacks,
    async startMoreWorkers(overrides) {
      const more = await start(overrides);
      extra.push(more);
      return more;
    },
    async close() {
      for (const process of [...extra, workers]) await process.close({ force: true });
      await new Promise((resolve) => receiver.server.close(resolve));
      await sim.close();
      await testDb.drop();
    },
  };
}

/** Polls until the operation reaches one of the statuses; fails with its last state otherwise. */
export async function waitForOperation(db: Db, id: string, statuses: string[] = ['succeeded', 'failed', 'skipped', 'superseded'], timeoutMs = 20_000): Promise<Operation> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const operation = await db.operation.findUniqueOrThrow({ where: { id } });
    if (statuses.includes(operation.status)) return operation;
    if (Date.now() > deadline) throw new Error(`operation ${id} (${operation.kind}) is ${operation.status} after ${timeoutMs} ms: ${operation.error ?? ''}`);
    await new Promise((resolve) => setTimeout(resolve, 25));
  }
}

export async function waitFor<T>(read: () => Promise<T>, done: (value: T) => boolean, timeoutMs = 20_000, what = 'condition'): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = await read();
    if (done(value)) return value;
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}: ${JSON.stringify(value, (_k, v) => (typeof v === 'bigint' ? Number(v) : v))}`);
    await new Promise((resolve) => setTimeout(resolve, 25));
  }
}

export interface SimServer {
  id: number;
  status: string;
  labels: Record<string, string>;
}

export async function simServer(sim: CloudSim, id: number): Promise<SimServer | undefined> {
  return (sim.state().servers as unknown as SimServer[]).find((server) => server.id === id);
}

/** The server's actions as the simulator keeps them (its history), oldest first. */
export async function serverActions(sim: CloudSim, serverId: number): Promise<{ id: number; command: string; status: string }[]> {
  const response = await fetch(`${sim.url}/v1/servers/${serverId}/actions?sort=id:asc&per_page=50`, { headers: { authorization: `Bearer ${SIM_HETZNER_TOKEN}` } });
  return ((await response.json()) as { actions: { id: number; command: string; status: string }[] }).actions;
}

/** Creates a server in the simulator and waits until it runs (or is off, when asked). */
export async function aServer(sim: CloudSim, agentId: string, options: { off?: boolean; name?: string } = {}): Promise<number> {
  const id = await createSimServer(sim, SIM_HETZNER_TOKEN, options.name ?? `agent-${agentId}`, { 'managed-by': 'agent-lifecycle', 'agent-id': agentId });
  await waitFor(() => simServer(sim, id), (s) => s?.status === 'running', 5_000, `server ${id} running`);
  if (options.off) {
    await fetch(`${sim.url}/v1/servers/${id}/actions/poweroff`, { method: 'POST', headers: { authorization: `Bearer ${SIM_HETZNER_TOKEN}` } });
    await waitFor(() => simServer(sim, id), (s) => s?.status === 'off', 5_000, `server ${id} off`);
  }
  return id;
}

export const aDevice = (sim: CloudSim, agentId: string) => addSimDevice(sim, `agent-${agentId}`);

let emails = 0;

export interface AgentSetup {
  status?: Agent['status'];
  suspendedBy?: Agent['suspendedBy'];
  /** Create a server in the simulator: running for active agents, off for paused/suspended ones. */
  server?: boolean;
  device?: boolean;
  userId?: string;
  stripeCustomerId?: string;
  /** Mark the agent as made by the provisioning workflow (so leftovers are searched by label). */
  provisioned?: boolean;
}

/** An agent in the database, with its server and device in the simulator when asked. */
export async function anAgent(h: Harness, setup: AgentSetup = {}): Promise<Agent & { serverId: number | null; deviceId: string | null }> {
  emails += 1;
  const userId =
    setup.userId ??
    (await h.db.user.create({ data: { email: `user${emails}-${Date.now()}@example.com`, stripeCustomerId: setup.stripeCustomerId ?? null } })).id;
  const status = setup.status ?? 'active';
  const agent = await h.db.agent.create({ data: { userId, name: `agent ${emails}`, status, suspendedBy: setup.suspendedBy ?? null } });
  const off = status === 'paused' || status === 'suspended';
  const serverId = setup.server === false ? null : await aServer(h.sim, agent.id, { off });
  const deviceId = setup.device ? await aDevice(h.sim, agent.id) : null;
  if (serverId !== null || deviceId !== null) {
    await h.db.agentInstance.create({
      data: { agentId: agent.id, serverId: serverId === null ? null : BigInt(serverId), tailscaleDeviceId: deviceId, tailscaleHostname: `agent-${agent.id}`, status: off ? 'stopped' : 'running' },
    });
  }
  if (setup.provisioned) await h.db.provisioningJob.create({ data: { agentId: agent.id, status: 'completed' } });
  return { ...agent, serverId, deviceId };
}

export const totalCalls = (calls: Record<string, number>, prefix = '') =>
  Object.entries(calls).filter(([key]) => key.includes(prefix)).reduce((sum, [, n]) => sum + n, 0);

export const requestCounts = simRequestCounts;
export const addFaults = addSimFaults;
export const clearFaults = clearSimFaults;
