import { anAgent, startHarness, waitFor, waitForOperation, type Harness } from './support/harness';

let h: Harness;
beforeAll(async () => {
  h = await startHarness({ workers: { metricsPort: 0 } });
});
afterAll(() => h.close());

const get = (path: string) => fetch(`http://127.0.0.1:${h.workers.health!.port}${path}`);

describe("a worker's metrics and health", () => {
  it('answers /healthz and /readyz while Redis and PostgreSQL answer', async () => {
    expect(await (await get('/healthz')).json()).toEqual({ status: 'ok' });
    const ready = await get('/readyz');
    expect(ready.status).toBe(200);
    expect(await ready.json()).toEqual({ status: 'ready' });
    expect((await get('/nothing')).status).toBe(404);
  });

  it('serves the contract metrics, with a stop counted as it stepped aside and finished', async () => {
    const agent = await anAgent(h, { status: 'active' });
    const { value } = await h.requests.requestOperation({ userId: agent.userId, agentId: agent.id, kind: 'stop' });
    expect((await waitForOperation(h.db, value.operation.id)).status).toBe('succeeded');
    await waitFor(async () => (await h.workers.jobQueues.getJob('agent.stop', value.operation.id))?.getState(), (state) => state === 'completed', 5_000, 'the stop job completed');

    const response = await get('/metrics');
    const text = await response.text();
    expect(response.headers.get('content-type')).toMatch(/^text\/plain/);
    for (const name of [
      'agent_lifecycle_job_duration_seconds',
      'agent_lifecycle_job_retries_total',
      'agent_lifecycle_job_failures_total',
      'agent_lifecycle_cloud_requests_total',
      'agent_lifecycle_hetzner_rate_limited_total',
      'agent_lifecycle_hetzner_budget_wait_seconds_total',
      'agent_lifecycle_operations_finished_total',
      'agent_lifecycle_queue_jobs',
      'agent_lifecycle_operations_stuck',
      'agent_lifecycle_agents_destroying',
    ]) {
      expect(text).toContain(`# TYPE ${name} `);
    }
    expect(text).toMatch(/^agent_lifecycle_operations_finished_total\{kind="stop",outcome="succeeded"\} 1$/m);
    expect(text).toMatch(/^agent_lifecycle_job_duration_seconds_count\{job="agent\.stop",outcome="delayed"\} [1-9]\d*$/m);
    expect(text).toMatch(/^agent_lifecycle_job_duration_seconds_count\{job="agent\.stop",outcome="completed"\} 1$/m);
    expect(text).toMatch(/^agent_lifecycle_queue_jobs\{queue="hetzner",state="completed"\} 1$/m);
    expect(text).toMatch(/^agent_lifecycle_hetzner_budget_wait_seconds_total [\d.e+-]+$/m);
    // What the adapters reported: the shutdown, then the watcher's look at the server list.
    expect(text).toMatch(/^agent_lifecycle_cloud_requests_total\{cloud="hetzner",endpoint="POST \/servers\/\{id\}\/actions\/shutdown",status="201"\} 1$/m);
    expect(text).toMatch(/^agent_lifecycle_cloud_requests_total\{cloud="hetzner",endpoint="GET \/servers",status="200"\} [1-9]\d*$/m);
  });

  it('counts every cloud request the adapters report, and the 429s among them', () => {
    h.workers.metrics.observeCloudRequest({ cloud: 'hetzner', endpoint: 'POST /servers/{id}/actions/shutdown', status: 429, durationMs: 3 });
    h.workers.metrics.observeCloudRequest({ cloud: 'tailscale', endpoint: 'DELETE /device/{id}', status: 'network_error', durationMs: 3 });
    return h.workers.metrics.registry.metrics().then((text) => {
      expect(text).toMatch(/^agent_lifecycle_cloud_requests_total\{cloud="hetzner",endpoint="POST \/servers\/\{id\}\/actions\/shutdown",status="429"\} 1$/m);
      expect(text).toMatch(/^agent_lifecycle_cloud_requests_total\{cloud="tailscale",endpoint="DELETE \/device\/\{id\}",status="network_error"\} 1$/m);
      expect(text).toMatch(/^agent_lifecycle_hetzner_rate_limited_total 1$/m);
    });
  });
});
