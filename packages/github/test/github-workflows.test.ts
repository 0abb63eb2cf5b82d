// The Workflows port on the simulated GitHub over real HTTP: a dispatch starts a run that
// creates the labelled server and the device and calls back, signed, to our receiver.
import { createHmac, timingSafeEqual } from 'node:crypto';
import { createServer, type IncomingHttpHeaders, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { startCloudSim, type CloudSim } from '@agent-lifecycle/cloud-sim';
import { PermanentError, RateLimitedError, RetryableError } from '@agent-lifecycle/errors';
import { sandboxCredentials } from '@agent-lifecycle/config';
import { createGithubWorkflows, type GithubObservedRequest } from '@agent-lifecycle/github';
import { eventually, rejectionOf } from '@agent-lifecycle/testing';

const callbackSecret = 'test-callback-secret';

interface Callback {
  headers: IncomingHttpHeaders;
  body: string;
}

/** The ingress's provisioning webhook, reduced to recording what arrives. */
async function startReceiver(): Promise<{ url: string; callbacks: Callback[]; close(): Promise<void> }> {
  const callbacks: Callback[] = [];
  const server: Server = createServer((req, res) => {
    let body = '';
    req.setEncoding('utf8');
    req.on('data', (chunk: string) => (body += chunk));
    req.on('end', () => {
      callbacks.push({ headers: req.headers, body });
      res.writeHead(200, { 'content-type': 'application/json' }).end('{"received":true}');
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}/api/webhooks/github`,
    callbacks,
    close: () =>
      new Promise<void>((resolve, reject) => {
        server.close((error) => (error ? reject(error) : resolve()));
        server.closeAllConnections();
      }),
  };
}

function validSignature({ headers, body }: Callback): boolean {
  const expected = `sha256=${createHmac('sha256', callbackSecret).update(`${String(headers['x-callback-timestamp'])}.${body}`).digest('hex')}`;
  const given = String(headers['x-hub-signature-256']);
  return given.length === expected.length && timingSafeEqual(Buffer.from(given), Buffer.from(expected));
}

async function control(method: string, path: string, body?: unknown): Promise<void> {
  const response = await fetch(`${sim.url}/_sim${path}`, { method, headers: { 'content-type': 'application/json' }, body: body === undefined ? undefined : JSON.stringify(body) });
  if (!response.ok) throw new Error(`${method} /_sim${path} answered ${response.status}: ${await response.text()}`);
}

let sim: CloudSim;
let receiver: Awaited<ReturnType<typeof startReceiver>>;

beforeAll(async () => {
  sim = await startCloudSim({ port: 0, callbackSecret, config: { timeScale: 0.001, provisioning: { delayMs: 1000 } } });
  receiver = await startReceiver();
});

afterAll(async () => {
  await sim.close();
  await receiver.close();
});

beforeEach(async () => {
  await control('POST', '/reset');
  receiver.callbacks.length = 0;
});

const { token, repo, workflow } = sandboxCredentials.github;
const workflows = (options: { token?: string; timeoutMs?: number; workflow?: string; ref?: string } = {}) =>
  createGithubWorkflows({ apiUrl: sim.url, token: options.token ?? token, repo, workflow: options.workflow ?? workflow, ref: options.ref, timeoutMs: options.timeoutMs });

describe('createGithubWorkflows against the simulator', () => {
  it('dispatches the provisioning run, which creates the labelled server and device and calls back signed', async () => {
    await workflows().dispatchProvisioning({ jobId: 'job-1', agentId: 'agent-1', callbackUrl: receiver.url });

    const [run] = sim.state().workflowRuns;
    expect(run).toMatchObject({ repository: 'example/agents', workflow: 'provision-agent.yml', ref: 'main', inputs: { job_id: 'job-1', agent_id: 'agent-1', callback_url: receiver.url } });

    const completed = await eventually(() => receiver.callbacks.find((c) => JSON.parse(c.body).status === 'completed'));
    expect(receiver.callbacks.map((c) => JSON.parse(c.body).status)).toEqual(['running', 'completed']);
    expect(receiver.callbacks.every(validSignature)).toBe(true);

    const { servers, devices } = sim.state();
    expect(servers).toEqual([expect.objectContaining({ labels: { 'managed-by': 'agent-lifecycle', 'agent-id': 'agent-1', 'job-id': 'job-1' } })]);
    expect(devices).toEqual([expect.objectContaining({ hostname: 'agent-agent-1' })]);
    expect(JSON.parse(completed.body)).toMatchObject({ job_id: 'job-1', server_id: servers[0]?.id, tailscale_device_id: devices[0]?.id, tailscale_hostname: 'agent-agent-1' });
  });

  it('dispatches another ref when configured', async () => {
    const { github } = sim.credentials();
    sim.setCredentials({ github: { ...github, workflows: github.workflows.map((w) => ({ ...w, refs: [...w.refs, 'staging'] })) } });
    await workflows({ ref: 'staging' }).dispatchProvisioning({ jobId: 'job-2', agentId: 'agent-2', callbackUrl: receiver.url });
    expect(sim.state().workflowRuns[0]?.ref).toBe('staging');
    sim.setCredentials({ github });
  });

  it('fails permanently when GitHub refuses the credentials, the workflow, the ref or the request', async () => {
    const request = { jobId: 'job-3', agentId: 'agent-3', callbackUrl: receiver.url };
    const unauthorized = await rejectionOf(workflows({ token: 'ghp_not_ours' }).dispatchProvisioning(request));
    expect(unauthorized).toBeInstanceOf(PermanentError);
    expect(unauthorized.message).toBe('GitHub dispatch of provisioning job job-3 (agent agent-3) failed: unauthorized (Bad credentials)');
    const unknownWorkflow = await rejectionOf(workflows({ workflow: 'deploy.yml' }).dispatchProvisioning(request));
    expect((unknownWorkflow as PermanentError).code).toBe('not_found');
    const unknownRef = await rejectionOf(workflows({ ref: 'release' }).dispatchProvisioning(request));
    expect(unknownRef.message).toBe('GitHub dispatch of provisioning job job-3 (agent agent-3) failed: validation_failed (No ref found for: release)');

    await control('POST', '/faults', { rules: [{ path: '/repos/**', status: 422, count: 1 }] });
    const invalid = await rejectionOf(workflows().dispatchProvisioning({ jobId: 'job-3', agentId: 'agent-3', callbackUrl: receiver.url }));
    expect(invalid).toBeInstanceOf(PermanentError);
    expect((invalid as PermanentError).code).toBe('validation_failed');
    expect(sim.state().workflowRuns).toEqual([]);
  });

  it('retries a 5xx and waits out a 429', async () => {
    await control('POST', '/faults', {
      rules: [
        { path: '/repos/**', status: 503, count: 1 },
        { path: '/repos/**', status: 429, count: 1 },
      ],
    });
    const request = { jobId: 'job-4', agentId: 'agent-4', callbackUrl: receiver.url };

    const unavailable = await rejectionOf(workflows().dispatchProvisioning(request));
    expect(unavailable).toBeInstanceOf(RetryableError);
    expect(unavailable).not.toBeInstanceOf(RateLimitedError);
    const limited = await rejectionOf(workflows().dispatchProvisioning(request));
    expect(limited).toBeInstanceOf(RateLimitedError);
    expect((limited as RateLimitedError).resetAt.getTime()).toBeGreaterThan(Date.now());

    await workflows().dispatchProvisioning(request);
    expect(sim.state().workflowRuns).toHaveLength(1);
  });

  it('gives up on a hung dispatch after timeoutMs with a retryable timeout', async () => {
    await control('POST', '/faults', { rules: [{ path: '/repos/**', hang: true, count: 1 }] });
    const error = await rejectionOf(workflows({ timeoutMs: 200 }).dispatchProvisioning({ jobId: 'job-5', agentId: 'agent-5', callbackUrl: receiver.url }));
    expect(error).toBeInstanceOf(RetryableError);
    expect((error as RetryableError).code).toBe('timeout');
  });

  it('tells the observer about every request it sends, by endpoint template and status', async () => {
    const seen: GithubObservedRequest[] = [];
    const observed = createGithubWorkflows({ apiUrl: sim.url, token, repo, workflow, observe: (request) => seen.push(request) });
    await observed.dispatchProvisioning({ jobId: 'job-6', agentId: 'agent-6', callbackUrl: receiver.url });
    await control('POST', '/faults', { rules: [{ path: '/repos/**', status: 503, count: 1 }] });
    await rejectionOf(observed.dispatchProvisioning({ jobId: 'job-7', agentId: 'agent-7', callbackUrl: receiver.url }));
    expect(seen.map(({ cloud, endpoint, status }) => [cloud, endpoint, status])).toEqual([
      ['github', 'POST /repos/{owner}/{repo}/actions/workflows/{workflow}/dispatches', 204],
      ['github', 'POST /repos/{owner}/{repo}/actions/workflows/{workflow}/dispatches', 503],
    ]);
  });

  it('retries when nothing listens at the API URL', async () => {
    const closed = await startCloudSim({ port: 0, callbackSecret });
    const apiUrl = closed.url;
    await closed.close();
    const error = await rejectionOf(
      createGithubWorkflows({ apiUrl, token, repo, workflow }).dispatchProvisioning({ jobId: 'j', agentId: 'a', callbackUrl: receiver.url }),
    );
    expect(error).toBeInstanceOf(RetryableError);
    expect((error as RetryableError).code).toBe('network_error');
    expect(error.message).toContain('ECONNREFUSED');
  });
});
