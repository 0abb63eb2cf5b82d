// The whole path with real pieces: the ingress on a port, the engine's BullMQ workers
// (apps/worker) and the cloud simulator playing Hetzner, Tailscale and GitHub Actions,
// whose provisioning runs call the ingress back with signed callbacks.
import { startCloudSim, type CloudSim } from '@agent-lifecycle/cloud-sim';
import type { Config } from '@agent-lifecycle/config';
import { createTestDatabase, testConfig, type TestDatabase } from '@agent-lifecycle/testing';
import { startWorkers, type WorkerProcess } from '@agent-lifecycle/worker';
import { startIngress, type Ingress } from '../src';
import { aUser, anAgent, simDevices, simServers, type UserWithToken } from './support/builders';
import { call } from './support/http';
import { silentLogger } from './support/ingress-fixture';
import { CALLBACK_SECRET, stripeEvent, stripeHeaders } from './support/signing';
import { waitFor } from './support/wait';

interface AgentJson {
  id: string;
  status: string;
  instance: { serverId: number | null; tailscaleDeviceId: string | null; ipv4: string | null; status: string } | null;
  operations?: { id: string; kind: string; status: string; source: string }[];
}

let database: TestDatabase;
let sim: CloudSim;
let ingress: Ingress;
let workers: WorkerProcess;
let config: Config;

beforeAll(async () => {
  database = await createTestDatabase();
  sim = await startCloudSim({ callbackSecret: CALLBACK_SECRET, config: { timeScale: 0.001 } });
  config = testConfig({ DATABASE_URL: database.url, SIM_PORT: String(sim.port), PORT: '0' });
  ingress = await startIngress({ config, logger: silentLogger, db: database.db, host: '127.0.0.1', shutdownGraceMs: 1_000 });
  workers = await startWorkers({
    config,
    logger: silentLogger,
    db: database.db,
    backoffScale: 0.01,
    sweepEveryMs: 3_600_000,
    settings: { pollScale: 0.01, stopGraceMs: 200, turnDelayMs: 50, callbackUrl: `${ingress.url}/api/webhooks/github` },
  });
});

afterAll(async () => {
  await workers.close();
  await ingress.close();
  await sim.close();
  await database.drop();
});

const agentOf = async (owner: UserWithToken, id: string) => (await call<{ agent: AgentJson }>(ingress.url, 'GET', `/api/agents/${id}`, { token: owner.token })).body.agent;
const agentsOf = (owner: UserWithToken, ids: string[]) => Promise.all(ids.map((id) => agentOf(owner, id)));
const sendStripe = (payload: string) => call(ingress.url, 'POST', '/api/webhooks/stripe', { raw: payload, headers: stripeHeaders(payload) });
const serversOfAgent = (agentId: string) => simServers(sim).filter((server) => server.labels['agent-id'] === agentId);
const devicesOfAgent = (agentId: string) => simDevices(sim).filter((device) => device.hostname === `agent-${agentId}`);
const subscriptionOf = (customer: string, status: string) => ({ id: `sub_${customer}`, object: 'subscription', customer, status });
const invoiceOf = (customer: string) => ({ id: `in_${Date.now()}`, object: 'invoice', customer, subscription: `sub_${customer}` });

async function setSim(patch: Record<string, unknown>): Promise<void> {
  const response = await fetch(`${sim.url}/_sim/config`, { method: 'PUT', headers: { 'content-type': 'application/json' }, body: JSON.stringify(patch) });
  expect(response.status).toBe(200);
}

it('provisions agents through the workflow, then destroys their servers and devices when the subscription is deleted', async () => {
  const customer = await aUser().withStripeCustomer().create(database.db);
  const created = [];
  for (const name of ['alpha', 'beta']) {
    const answer = await call<{ agent: AgentJson; operation: { id: string } }>(ingress.url, 'POST', '/api/agents', { token: customer.token, json: { name } });
    expect(answer.status).toBe(202);
    created.push(answer.body);
  }
  const ids = created.map((entry) => entry.agent.id);

  const active = await waitFor(() => agentsOf(customer, ids), (agents) => agents.every((agent) => agent.status === 'active' && agent.instance?.serverId != null), 20_000, 'agents active');
  for (const agent of active) {
    expect(serversOfAgent(agent.id).map((server) => [server.id, server.status])).toEqual([[agent.instance!.serverId, 'running']]);
    expect(devicesOfAgent(agent.id).map((device) => device.id)).toEqual([agent.instance!.tailscaleDeviceId]);
    expect(agent.operations?.find((operation) => operation.kind === 'provision')?.status).toBe('succeeded');
  }

  const answer = await sendStripe(stripeEvent('customer.subscription.deleted', subscriptionOf(customer.user.stripeCustomerId!, 'canceled')));
  expect(answer.status).toBe(200);

  const destroyed = await waitFor(() => agentsOf(customer, ids), (agents) => agents.every((agent) => agent.status === 'destroyed'), 20_000, 'agents destroyed');
  for (const agent of destroyed) {
    expect(serversOfAgent(agent.id)).toEqual([]);
    expect(devicesOfAgent(agent.id)).toEqual([]);
    const destroy = agent.operations?.find((operation) => operation.kind === 'destroy');
    expect(destroy).toMatchObject({ source: 'stripe', status: 'succeeded' });
  }
});

it('rolls back a provisioning run that failed at the Tailscale step: nothing left behind, the agent failed', async () => {
  const owner = await aUser().create(database.db);
  await setSim({ provisioning: { failAtStep: 'tailscale' } });
  try {
    const answer = await call<{ agent: AgentJson }>(ingress.url, 'POST', '/api/agents', { token: owner.token, json: { name: 'doomed' } });
    expect(answer.status).toBe(202);
    const agentId = answer.body.agent.id;
    const job = await database.db.provisioningJob.findFirstOrThrow({ where: { agentId } });

    const failed = await waitFor(
      () => agentOf(owner, agentId),
      (agent) => agent.status === 'failed' && agent.operations?.some((operation) => operation.kind === 'rollback' && operation.status === 'succeeded') === true,
      20_000,
      'agent failed and rolled back',
    );

    const run = sim.state().workflowRuns.find((candidate) => candidate.inputs.job_id === job.id);
    expect(run).toMatchObject({ conclusion: 'failure', failedStep: 'tailscale' });
    expect(run?.serverId).not.toBeNull();
    expect(serversOfAgent(agentId)).toEqual([]);
    expect(devicesOfAgent(agentId)).toEqual([]);
    expect(failed.operations?.find((operation) => operation.kind === 'provision')?.status).toBe('failed');
    expect(await database.db.provisioningJob.findUniqueOrThrow({ where: { id: job.id } })).toMatchObject({ status: 'rolled_back' });
  } finally {
    await setSim({ provisioning: { failAtStep: null } });
  }
});

it('leaves agents running after a payment failure followed by a newer paid invoice', async () => {
  const customer = await aUser().withStripeCustomer().create(database.db);
  const agent = await anAgent().ownedBy(customer).active().withServer().create(database.db, sim);
  const customerId = customer.user.stripeCustomerId!;
  const now = Math.floor(Date.now() / 1000);

  expect((await sendStripe(stripeEvent('invoice.payment_failed', invoiceOf(customerId), { created: now - 60 }))).status).toBe(200);
  expect((await sendStripe(stripeEvent('invoice.paid', invoiceOf(customerId), { created: now }))).status).toBe(200);

  const settled = await waitFor(
    () => agentOf(customer, agent.id),
    (view) => (view.operations ?? []).length === 2 && view.operations!.every((operation) => ['succeeded', 'skipped'].includes(operation.status)),
    20_000,
    'suspend and resume finished',
  );
  expect(settled.operations?.map((operation) => operation.kind).sort()).toEqual(['resume', 'suspend']);
  // Read again: the view reads the agent and its operations in separate statements, so the
  // snapshot that saw the resume finish may hold the agent as it was just before.
  expect((await agentOf(customer, agent.id)).status).toBe('active');
  expect(serversOfAgent(agent.id).map((server) => server.status)).toEqual(['running']);
});

it('leaves agents destroyed when an older payment failure arrives after the cancellation', async () => {
  const customer = await aUser().withStripeCustomer().create(database.db);
  const running = await anAgent().ownedBy(customer).active().withServer().withDevice().create(database.db, sim);
  const stopped = await anAgent().ownedBy(customer).paused().withServer().create(database.db, sim);
  const customerId = customer.user.stripeCustomerId!;
  const now = Math.floor(Date.now() / 1000);

  expect((await sendStripe(stripeEvent('customer.subscription.deleted', subscriptionOf(customerId, 'canceled'), { created: now }))).status).toBe(200);
  expect((await sendStripe(stripeEvent('invoice.payment_failed', invoiceOf(customerId), { created: now - 60 }))).status).toBe(200);

  const agents = await waitFor(() => agentsOf(customer, [running.id, stopped.id]), (views) => views.every((view) => view.status === 'destroyed'), 20_000, 'agents destroyed');
  for (const view of agents) expect(view.operations?.map((operation) => operation.kind)).toEqual(['destroy']);
  expect(serversOfAgent(running.id)).toEqual([]);
  expect(serversOfAgent(stopped.id)).toEqual([]);
  expect(devicesOfAgent(running.id)).toEqual([]);
});
