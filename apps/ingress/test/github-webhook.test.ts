import { randomUUID } from 'node:crypto';
import { aUser, type UserWithToken } from './support/builders';
import { call } from './support/http';
import { databaseState, startTestIngress, totalJobs, waitingJobs, type TestIngress } from './support/ingress-fixture';
import { callbackHeaders, callbackSignature } from './support/signing';

interface ErrorBody {
  error: { code: string; message: string; details?: unknown };
}

let t: TestIngress;
let owner: UserWithToken;
beforeAll(async () => {
  t = await startTestIngress();
  owner = await aUser().create(t.db);
});
afterAll(() => t.close());

const deliver = (body: string, headers: Record<string, string> = callbackHeaders(body)) =>
  call<{ received?: boolean } & Partial<ErrorBody>>(t.url, 'POST', '/api/webhooks/github', { raw: body, headers });

/** An agent created through the API, so it has a provisioning job the workflow reports on. */
async function aProvisioningAgent(): Promise<{ agentId: string; jobId: string; operationId: string }> {
  const answer = await call<{ agent: { id: string }; operation: { id: string } }>(t.url, 'POST', '/api/agents', { token: owner.token, json: { name: 'provisioned' } });
  const job = await t.db.provisioningJob.findFirstOrThrow({ where: { agentId: answer.body.agent.id } });
  return { agentId: answer.body.agent.id, jobId: job.id, operationId: answer.body.operation.id };
}

describe('valid callbacks', () => {
  it('records progress, then makes the agent active with its server, device and IP', async () => {
    const { agentId, jobId, operationId } = await aProvisioningAgent();

    const running = await deliver(JSON.stringify({ job_id: jobId, status: 'running', step: 'server' }));
    expect(running.status).toBe(200);
    expect(running.body).toEqual({ received: true });
    expect(await t.db.provisioningJob.findUniqueOrThrow({ where: { id: jobId } })).toMatchObject({ status: 'running', step: 'server' });

    const completed = await deliver(
      JSON.stringify({ job_id: jobId, status: 'completed', step: 'bootstrap', server_id: 424242, tailscale_device_id: 'dev-424242', tailscale_hostname: `agent-${agentId}`, ipv4: '198.51.100.7' }),
    );
    expect(completed.status).toBe(200);
    const agent = await call<{ agent: Record<string, unknown> }>(t.url, 'GET', `/api/agents/${agentId}`, { token: owner.token });
    expect(agent.body.agent).toMatchObject({ status: 'active', instance: { serverId: 424242, tailscaleDeviceId: 'dev-424242', ipv4: '198.51.100.7', status: 'running' } });
    expect((await t.db.operation.findUniqueOrThrow({ where: { id: operationId } })).status).toBe('succeeded');
  });

  it('acts once on a redelivered callback', async () => {
    const { jobId } = await aProvisioningAgent();
    const body = JSON.stringify({ job_id: jobId, status: 'failed', step: 'tailscale', error: 'device never joined' });
    const deliveryId = randomUUID();

    const first = await deliver(body, callbackHeaders(body, { deliveryId }));
    const before = await databaseState(t.db);
    const jobs = await totalJobs(t.queues);
    const again = await deliver(body, callbackHeaders(body, { deliveryId }));

    expect([first.status, again.status]).toEqual([200, 200]);
    expect(again.body).toEqual({ received: true });
    expect(await databaseState(t.db)).toEqual(before);
    expect(await totalJobs(t.queues)).toBe(jobs);
    expect(await t.db.operation.count({ where: { provisioningJobId: jobId, kind: 'rollback' } })).toBe(1);
  });

  it('starts a rollback when the run failed, and enqueues it', async () => {
    const { agentId, jobId } = await aProvisioningAgent();

    const answer = await deliver(JSON.stringify({ job_id: jobId, status: 'failed', step: 'server', error: 'quota exceeded' }));

    expect(answer.status).toBe(200);
    const rollback = await t.db.operation.findFirstOrThrow({ where: { agentId, kind: 'rollback' } });
    expect(rollback).toMatchObject({ source: 'github', status: 'queued' });
    expect(await waitingJobs(t.queues)).toContainEqual({ name: 'provisioning.rollback', operationId: rollback.id });
    expect(await t.db.provisioningJob.findUniqueOrThrow({ where: { id: jobId } })).toMatchObject({ status: 'failed', step: 'server' });
  });

  it('answers 200 for an unknown job and records no operation', async () => {
    const operations = await t.db.operation.count();
    const answer = await deliver(JSON.stringify({ job_id: 'cl_unknown_job', status: 'completed', server_id: 1 }));
    expect(answer.status).toBe(200);
    expect(await t.db.operation.count()).toBe(operations);
  });

  it('drops fields it does not know', async () => {
    const { jobId } = await aProvisioningAgent();
    const answer = await deliver(JSON.stringify({ job_id: jobId, status: 'running', step: 'server', run_url: 'https://example.com/run/1' }));
    expect(answer.status).toBe(200);
  });
});

describe('refused callbacks', () => {
  const now = () => Math.floor(Date.now() / 1000);
  let jobId: string;
  let valid: string;
  beforeAll(async () => {
    ({ jobId } = await aProvisioningAgent());
    valid = JSON.stringify({ job_id: jobId, status: 'failed', step: 'server', error: 'forged' });
  });

  const signedWith = (body: string, overrides: Record<string, string | undefined>) => {
    const headers: Record<string, string | undefined> = { ...callbackHeaders(body), ...overrides };
    return Object.fromEntries(Object.entries(headers).filter((entry): entry is [string, string] => entry[1] !== undefined));
  };

  it.each<[string, () => { body: string; headers: Record<string, string> }]>([
    ['a tampered body', () => ({ body: valid.replace('forged', 'tampered'), headers: callbackHeaders(valid) })],
    ['a wrong secret', () => ({ body: valid, headers: callbackHeaders(valid, { secret: 'not-the-secret' }) })],
    ['a timestamp 301 s old', () => ({ body: valid, headers: callbackHeaders(valid, { timestamp: now() - 301 }) })],
    ['a timestamp 301 s ahead', () => ({ body: valid, headers: callbackHeaders(valid, { timestamp: now() + 301 }) })],
    ['a signature over another timestamp', () => ({ body: valid, headers: signedWith(valid, { 'x-callback-timestamp': String(now() - 5) }) })],
    ['no signature header', () => ({ body: valid, headers: signedWith(valid, { 'x-hub-signature-256': undefined }) })],
    ['no timestamp header', () => ({ body: valid, headers: signedWith(valid, { 'x-callback-timestamp': undefined }) })],
    ['a malformed signature header', () => ({ body: valid, headers: signedWith(valid, { 'x-hub-signature-256': 'sha256=not-hex' }) })],
    ['a signature of the wrong length', () => ({ body: valid, headers: signedWith(valid, { 'x-hub-signature-256': `${callbackSignature(valid, now())}00` }) })],
    ['a sha1 signature', () => ({ body: valid, headers: signedWith(valid, { 'x-hub-signature-256': `sha1=${'a'.repeat(40)}` }) })],
    ['a malformed timestamp', () => ({ body: valid, headers: signedWith(valid, { 'x-callback-timestamp': '17e8' }) })],
  ])('refuses %s with 401 invalid_signature and changes nothing', async (_case, build) => {
    const before = await databaseState(t.db);
    const jobs = await totalJobs(t.queues);
    const { body, headers } = build();

    const answer = await deliver(body, headers);

    expect(answer.status).toBe(401);
    expect(answer.body.error?.code).toBe('invalid_signature');
    expect(await databaseState(t.db)).toEqual(before);
    expect(await totalJobs(t.queues)).toBe(jobs);
  });

  it.each<[string, () => string, string]>([
    ['malformed JSON', () => '{"job_id": "x", ', 'invalid_json'],
    ['an unknown status', () => JSON.stringify({ job_id: jobId, status: 'done' }), 'validation_failed'],
    ['a negative server id', () => JSON.stringify({ job_id: jobId, status: 'completed', server_id: -1 }), 'validation_failed'],
    ['a fractional server id', () => JSON.stringify({ job_id: jobId, status: 'completed', server_id: 1.5 }), 'validation_failed'],
    ['a server id as a string', () => JSON.stringify({ job_id: jobId, status: 'completed', server_id: '12' }), 'validation_failed'],
    ['a bad IPv4 address', () => JSON.stringify({ job_id: jobId, status: 'completed', ipv4: '300.1.1.1' }), 'validation_failed'],
    ['a missing job id', () => JSON.stringify({ status: 'completed' }), 'validation_failed'],
    ['an error carrying NUL', () => JSON.stringify({ job_id: jobId, status: 'failed', error: 'bad\u0000' }), 'validation_failed'],
    ['an array', () => JSON.stringify([{ job_id: jobId, status: 'failed' }]), 'validation_failed'],
  ])('refuses a signed body with %s with 400 %s and changes nothing', async (_case, build, code) => {
    const before = await databaseState(t.db);
    const jobs = await totalJobs(t.queues);
    const body = build();

    const answer = await deliver(body);

    expect(answer.status).toBe(400);
    expect(answer.body.error?.code).toBe(code);
    expect(await databaseState(t.db)).toEqual(before);
    expect(await totalJobs(t.queues)).toBe(jobs);
  });

  it('refuses a signed callback without X-Delivery-Id with 400', async () => {
    const before = await databaseState(t.db);
    const answer = await deliver(valid, signedWith(valid, { 'x-delivery-id': undefined }));
    expect(answer.status).toBe(400);
    expect(answer.body.error?.code).toBe('validation_failed');
    expect(await databaseState(t.db)).toEqual(before);
  });
});
