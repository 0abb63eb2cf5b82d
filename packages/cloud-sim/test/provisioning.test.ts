// The simulated provisioning workflow: dispatch checked as GitHub checks it (token, workflow,
// ref, inputs, run details), signed callbacks a receiver can verify, retries, the leftovers
// each failure step leaves behind, and the Hetzner budget its own calls spend.
import { createHmac, timingSafeEqual } from 'node:crypto';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { CloudSim, WorkflowRun } from '@agent-lifecycle/cloud-sim';
import { call, callbackSecret, control, eventually, sandbox, startSim, type ServerJson } from './sim-client';

const workflowPath = `/repos/${sandbox.github.repo}/actions/workflows/${sandbox.github.workflow}`;

interface Delivery {
  headers: Record<string, string | string[] | undefined>;
  rawBody: string;
  body: Record<string, unknown>;
}

/** A stand-in for the ingress webhook: records deliveries, answering with the queued statuses first. */
class CallbackReceiver {
  readonly deliveries: Delivery[] = [];
  readonly answers: number[] = [];
  /** Milliseconds to hold each answer back, to catch the simulator mid-delivery. */
  holdMs = 0;
  private server: Server | undefined;
  url = '';

  async start(): Promise<void> {
    this.server = createServer((req, res) => {
      let rawBody = '';
      req.setEncoding('utf8');
      req.on('data', (chunk: string) => (rawBody += chunk));
      req.on('end', () => {
        this.deliveries.push({ headers: req.headers, rawBody, body: JSON.parse(rawBody) as Record<string, unknown> });
        res.statusCode = this.answers.shift() ?? 200;
        setTimeout(() => res.end('{"received":true}'), this.holdMs);
      });
    });
    await new Promise<void>((resolve) => this.server!.listen(0, '127.0.0.1', resolve));
    this.url = `http://127.0.0.1:${(this.server.address() as AddressInfo).port}/api/webhooks/github`;
  }

  forJob(jobId: string): Delivery[] {
    return this.deliveries.filter((d) => d.body.job_id === jobId);
  }

  async stop(): Promise<void> {
    await new Promise<void>((resolve) => {
      this.server?.close(() => resolve());
      this.server?.closeAllConnections();
    });
  }
}

/** What the ingress does: HMAC-SHA256 over "<timestamp>.<raw body>" with the shared secret. */
function verifies(delivery: Delivery, secret: string): boolean {
  const timestamp = String(delivery.headers['x-callback-timestamp']);
  const signature = String(delivery.headers['x-hub-signature-256']);
  const expected = `sha256=${createHmac('sha256', secret).update(`${timestamp}.${delivery.rawBody}`).digest('hex')}`;
  return signature.length === expected.length && timingSafeEqual(Buffer.from(signature), Buffer.from(expected));
}

let sim: CloudSim;
const receiver = new CallbackReceiver();
let jobSerial = 0;

beforeAll(async () => {
  sim = await startSim();
  await receiver.start();
});
afterAll(async () => {
  await sim.close();
  await receiver.stop();
});
beforeEach(async () => {
  await control(sim, 'POST', '/reset');
  await control(sim, 'PUT', '/config', { timeScale: 0.001, provisioning: { failAtStep: null, delayMs: 2000 } });
});

function dispatch(inputs: Record<string, unknown>, token: string | null = sandbox.github.token, extra: Record<string, unknown> = {}) {
  return call<{ message?: string }>(sim, 'POST', `${workflowPath}/dispatches`, { token, body: { ref: 'main', inputs, ...extra } });
}

async function dispatchJob(): Promise<{ jobId: string; agentId: string }> {
  jobSerial += 1;
  const ids = { jobId: `job-${jobSerial}`, agentId: `ag${jobSerial}x` };
  const answer = await dispatch({ job_id: ids.jobId, agent_id: ids.agentId, callback_url: receiver.url });
  expect(answer.status).toBe(204);
  return ids;
}

async function finishedRun(jobId: string): Promise<WorkflowRun> {
  return eventually(async () => {
    const state = await control<{ workflowRuns: WorkflowRun[] }>(sim, 'GET', '/state');
    const run = state.body.workflowRuns.find((r) => r.inputs.job_id === jobId);
    return run && run.status === 'completed' && run.callbacks.every((c) => c.delivered || c.attempts >= 4) && run.callbacks.length >= 2 ? run : undefined;
  });
}

async function leftovers(agentId: string): Promise<{ servers: ServerJson[]; devices: Array<{ hostname: string }> }> {
  const servers = await call<{ servers: ServerJson[] }>(sim, 'GET', `/v1/servers?label_selector=${encodeURIComponent(`managed-by=agent-lifecycle,agent-id=${agentId}`)}`);
  const devices = await call<{ devices: Array<{ hostname: string }> }>(sim, 'GET', '/api/v2/tailnet/-/devices');
  return { servers: servers.body.servers, devices: devices.body.devices.filter((d) => d.hostname === `agent-${agentId}`) };
}

describe('workflow dispatch', () => {
  it('refuses a dispatch without a token with 401', async () => {
    const answer = await dispatch({ job_id: 'j', agent_id: 'a', callback_url: receiver.url }, null);
    expect(answer.status).toBe(401);
    expect(answer.body.message).toBe('Bad credentials');
  });

  it('refuses a token it does not know with 401 Bad credentials', async () => {
    const answer = await dispatch({ job_id: 'j', agent_id: 'a', callback_url: receiver.url }, 'ghp_someone_elses');
    expect(answer.status).toBe(401);
    expect(answer.body.message).toBe('Bad credentials');
  });

  it('refuses missing or unexpected inputs with 422 and starts nothing', async () => {
    expect((await dispatch({ job_id: 'j', agent_id: 'a' })).status).toBe(422);
    const undeclared = await dispatch({ job_id: 'j', agent_id: 'a', callback_url: receiver.url, extra: 'x' });
    expect(undeclared.status).toBe(422);
    expect(undeclared.body.message).toBe('Unexpected inputs provided: ["extra"]');
    const state = await control<{ workflowRuns: WorkflowRun[] }>(sim, 'GET', '/state');
    expect(state.body.workflowRuns).toEqual([]);
  });

  it('answers 404 for a workflow or repository it does not have, and 422 for an unknown ref', async () => {
    const inputs = { job_id: 'j', agent_id: 'a', callback_url: receiver.url };
    const unknownWorkflow = await call<{ message: string }>(sim, 'POST', `/repos/${sandbox.github.repo}/actions/workflows/deploy.yml/dispatches`, { body: { ref: 'main', inputs } });
    expect(unknownWorkflow.status).toBe(404);
    const unknownRepo = await call<{ message: string }>(sim, 'POST', `/repos/acme/other/actions/workflows/${sandbox.github.workflow}/dispatches`, { body: { ref: 'main', inputs } });
    expect(unknownRepo.status).toBe(404);
    const unknownRef = await call<{ message: string }>(sim, 'POST', `${workflowPath}/dispatches`, { body: { ref: 'release', inputs } });
    expect(unknownRef.status).toBe(422);
    expect(unknownRef.body.message).toBe('No ref found for: release');
    expect(sim.state().workflowRuns).toEqual([]);
  });

  it('refuses a token whose Actions permission is read-only with 403', async () => {
    await control(sim, 'PUT', '/credentials', { github: { tokens: [{ token: 'ghp_reader', actions: 'read' }], workflows: [{ repository: sandbox.github.repo, workflow: sandbox.github.workflow }] } });
    try {
      const answer = await dispatch({ job_id: 'j', agent_id: 'a', callback_url: receiver.url }, 'ghp_reader');
      expect(answer.status).toBe(403);
      const repository = await call<{ permissions: { push: boolean; pull: boolean } }>(sim, 'GET', `/repos/${sandbox.github.repo}`, { token: 'ghp_reader' });
      expect(repository.body.permissions).toMatchObject({ push: false, pull: true });
      expect(sim.state().workflowRuns).toEqual([]);
    } finally {
      sim.setCredentials({ github: { tokens: [{ token: sandbox.github.token, actions: 'write' }], workflows: sim.credentials().github.workflows } });
    }
  });

  it('answers 200 with the run’s id and URLs when asked for run details, and serves that run', async () => {
    const answer = await dispatch({ job_id: 'j-details', agent_id: 'adetails', callback_url: receiver.url }, sandbox.github.token, { return_run_details: true });
    expect(answer.status).toBe(200);
    const details = answer.body as { workflow_run_id: number; run_url: string; html_url: string };
    expect(details.html_url).toBe(`https://github.com/${sandbox.github.repo}/actions/runs/${details.workflow_run_id}`);
    expect(details.run_url).toBe(`${sim.url}/repos/${sandbox.github.repo}/actions/runs/${details.workflow_run_id}`);
    const run = await call<{ id: number; status: string }>(sim, 'GET', new URL(details.run_url).pathname);
    expect(run.body).toMatchObject({ id: details.workflow_run_id, status: expect.stringMatching(/queued|in_progress|completed/) });
  });

  it('serves the reads a preflight makes: the workflow by name or id and the branch', async () => {
    const workflow = await call<{ id: number; path: string; state: string }>(sim, 'GET', workflowPath);
    expect(workflow.body).toMatchObject({ path: `.github/workflows/${sandbox.github.workflow}`, state: 'active' });
    expect((await call(sim, 'GET', `/repos/${sandbox.github.repo}/actions/workflows/${workflow.body.id}`)).status).toBe(200);
    expect((await call(sim, 'GET', `/repos/${sandbox.github.repo}/branches/main`)).status).toBe(200);
    expect((await call(sim, 'GET', `/repos/${sandbox.github.repo}/branches/release`)).status).toBe(404);
  });
});

describe('the workflow’s own Hetzner calls', () => {
  it('spend the rate-limit bucket of the project the workflow uses', async () => {
    // A refill too slow to add a whole request while the test runs.
    await control(sim, 'PUT', '/config', { rateLimit: { limit: 100, refillPerSecond: 0.001 } });
    const before = await call(sim, 'GET', '/v1/servers');
    const remainingBefore = Number(before.headers.get('ratelimit-remaining'));
    const { jobId } = await dispatchJob();
    await finishedRun(jobId);
    const after = await call(sim, 'GET', '/v1/servers');
    // Two requests of the run (create, one read of its action), then this call.
    expect(Number(after.headers.get('ratelimit-remaining'))).toBe(remainingBefore - 3);
    await control(sim, 'PUT', '/config', { rateLimit: { limit: 3600, refillPerSecond: 1 } });
  });
});

describe('a successful provisioning run', () => {
  it('creates the labelled server and the device, then posts signed running and completed callbacks', async () => {
    const { jobId, agentId } = await dispatchJob();
    const run = await finishedRun(jobId);
    expect(run).toMatchObject({ conclusion: 'success', repository: sandbox.github.repo, workflow: sandbox.github.workflow, ref: 'main', hetznerProject: 'sandbox' });

    const deliveries = receiver.forJob(jobId);
    expect(deliveries.map((d) => d.body.status)).toEqual(['running', 'completed']);
    for (const delivery of deliveries) {
      expect(verifies(delivery, callbackSecret)).toBe(true);
      expect(verifies(delivery, 'some-other-secret')).toBe(false);
      expect(Math.abs(Number(delivery.headers['x-callback-timestamp']) - Date.now() / 1000)).toBeLessThan(300);
      expect(delivery.headers['content-type']).toBe('application/json');
    }
    expect(new Set(deliveries.map((d) => d.headers['x-delivery-id'])).size).toBe(2);

    const { servers, devices } = await leftovers(agentId);
    expect(servers).toHaveLength(1);
    const server = servers[0]!;
    expect(server).toMatchObject({ name: `agent-${agentId}`, status: 'running', labels: { 'managed-by': 'agent-lifecycle', 'agent-id': agentId, 'job-id': jobId } });
    expect(devices).toHaveLength(1);

    const completed = deliveries[1]!.body;
    expect(completed).toEqual({
      job_id: jobId,
      status: 'completed',
      server_id: server.id,
      tailscale_device_id: run.deviceId,
      tailscale_hostname: `agent-${agentId}`,
      ipv4: server.public_net.ipv4?.ip,
    });
  });

  it('retries a callback the receiver fails to take, with the same delivery id, and logs it in the run', async () => {
    receiver.answers.push(503, 500);
    const { jobId } = await dispatchJob();
    const run = await finishedRun(jobId);
    const running = receiver.forJob(jobId).filter((d) => d.body.status === 'running');
    expect(running).toHaveLength(3);
    expect(new Set(running.map((d) => d.headers['x-delivery-id'])).size).toBe(1);
    expect(running.every((d) => verifies(d, callbackSecret))).toBe(true);
    expect(run.callbacks[0]).toMatchObject({ status: 'running', attempts: 3, delivered: true, lastStatus: 200 });
  });
});

describe('a failing provisioning run', () => {
  it.each([
    ['server', 0, 0],
    ['tailscale', 1, 0],
    ['bootstrap', 1, 1],
  ] as const)('failing at %s posts a signed failed callback and leaves %i server(s) and %i device(s) behind', async (step, serverCount, deviceCount) => {
    await control(sim, 'PUT', '/config', { provisioning: { failAtStep: step } });
    const { jobId, agentId } = await dispatchJob();
    const run = await finishedRun(jobId);
    expect(run).toMatchObject({ conclusion: 'failure', failedStep: step });

    const deliveries = receiver.forJob(jobId);
    expect(deliveries.map((d) => d.body.status)).toEqual(['running', 'failed']);
    const failed = deliveries[1]!;
    expect(verifies(failed, callbackSecret)).toBe(true);
    expect(failed.body).toMatchObject({ job_id: jobId, status: 'failed', step });
    expect(typeof failed.body.error).toBe('string');

    const { servers, devices } = await leftovers(agentId);
    expect(servers).toHaveLength(serverCount);
    expect(devices).toHaveLength(deviceCount);
  });

  it('fails at the server step when a server of that name already exists', async () => {
    jobSerial += 1;
    const agentId = `ag${jobSerial}dup`;
    await call(sim, 'POST', '/v1/servers', { body: { name: `agent-${agentId}`, server_type: 'cx22', image: 'ubuntu-24.04' } });
    const jobId = `job-${jobSerial}`;
    expect((await dispatch({ job_id: jobId, agent_id: agentId, callback_url: receiver.url })).status).toBe(204);
    const run = await finishedRun(jobId);
    expect(run).toMatchObject({ conclusion: 'failure', failedStep: 'server' });
    expect(receiver.forJob(jobId)[1]?.body.error).toMatch(/uniqueness_error/);
  });
});

describe('a reset during a run', () => {
  afterEach(() => {
    receiver.holdMs = 0;
  });

  it('stops the run, even mid-callback: nothing it would still have created or posted appears afterwards', async () => {
    receiver.holdMs = 300; // the reset lands while the running callback waits for its answer
    const { jobId } = await dispatchJob();
    await eventually(async () => (receiver.forJob(jobId).length > 0 ? true : undefined));
    await control(sim, 'POST', '/reset');
    await new Promise((resolve) => setTimeout(resolve, 500));

    const state = await control(sim, 'GET', '/state');
    expect(state.body).toEqual({ servers: [], images: [], devices: [], workflowRuns: [] });
    expect(receiver.forJob(jobId).map((d) => d.body.status)).toEqual(['running']);
  });
});
