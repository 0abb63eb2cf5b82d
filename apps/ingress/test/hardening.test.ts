import { Writable } from 'node:stream';
import { createDb } from '@agent-lifecycle/db';
import { JobQueues, createRedisConnection } from '@agent-lifecycle/jobs';
import { JOB_TABLE } from '@agent-lifecycle/lifecycle';
import { createLogger } from '@agent-lifecycle/logger';
import { testConfig } from '@agent-lifecycle/testing';
import { createApp } from '../src';
import { aUser, anAgent, type UserWithToken } from './support/builders';
import { call, rawRequest } from './support/http';
import { databaseState, serveApp, startTestIngress, totalJobs, type TestIngress } from './support/ingress-fixture';

interface ErrorBody {
  error: { code: string; message: string; details?: unknown };
}

let t: TestIngress;
let user: UserWithToken;

beforeAll(async () => {
  t = await startTestIngress();
  user = await aUser().create(t.db);
});
afterAll(() => t.close());

describe('bodies', () => {
  it('refuses a JSON body over 64 kb with 413 payload_too_large and records nothing', async () => {
    const before = await databaseState(t.db);
    const jobs = await totalJobs(t.queues);
    const answer = await call<ErrorBody>(t.url, 'POST', '/api/agents', { token: user.token, json: { name: 'big', padding: 'x'.repeat(70_000) } });
    expect(answer.status).toBe(413);
    expect(answer.body.error.code).toBe('payload_too_large');
    expect(await databaseState(t.db)).toEqual(before);
    expect(await totalJobs(t.queues)).toBe(jobs);
  });

  it('refuses webhook bodies over 256 kb with 413 before any verification', async () => {
    const before = await databaseState(t.db);
    const huge = JSON.stringify({ padding: 'x'.repeat(300_000) });
    for (const path of ['/api/webhooks/stripe', '/api/webhooks/github']) {
      const answer = await call<ErrorBody>(t.url, 'POST', path, { raw: huge, headers: { 'content-type': 'application/json', 'stripe-signature': 't=1,v1=00' } });
      expect([path, answer.status, answer.body.error.code]).toEqual([path, 413, 'payload_too_large']);
    }
    expect(await databaseState(t.db)).toEqual(before);
  });

  it('refuses a body that is not JSON with 415 unsupported_media_type', async () => {
    for (const contentType of ['text/plain', 'application/x-www-form-urlencoded', 'application/xml']) {
      const answer = await call<ErrorBody>(t.url, 'POST', '/api/agents', { token: user.token, raw: 'name=bot', headers: { 'content-type': contentType } });
      expect(answer.status).toBe(415);
      expect(answer.body.error.code).toBe('unsupported_media_type');
    }
    for (const path of ['/api/webhooks/stripe', '/api/webhooks/github']) {
      const answer = await call<ErrorBody>(t.url, 'POST', path, { raw: '{}', headers: { 'content-type': 'text/plain' } });
      expect([path, answer.status, answer.body.error.code]).toEqual([path, 415, 'unsupported_media_type']);
    }
    const noType = await rawRequest(t.port, 'POST', '/api/agents', { authorization: `Bearer ${user.token}`, 'content-length': '14' }, '{"name":"bot"}');
    expect(noType.status).toBe(415);
  });

  it('refuses malformed JSON with 400 invalid_json', async () => {
    for (const raw of ['{"name": "bot"', '{name: bot}', '"just a string"', 'null', '\u0000']) {
      const answer = await call<ErrorBody>(t.url, 'POST', '/api/agents', { token: user.token, raw, headers: { 'content-type': 'application/json' } });
      expect([raw, answer.status, answer.body.error.code]).toEqual([raw, 400, 'invalid_json']);
    }
  });

  it('accepts POSTs without a body where none is needed', async () => {
    const agent = await anAgent().ownedBy(user).active().create(t.db);
    const answer = await rawRequest(t.port, 'POST', `/api/agents/${agent.id}/stop`, { authorization: `Bearer ${user.token}` });
    expect(answer.status).toBe(202);
  });
});

describe('responses', () => {
  it('answers unknown routes and methods with a JSON 404 not_found', async () => {
    for (const [method, path] of [
      ['GET', '/nope'],
      ['POST', '/api/agents/abc/reboot'],
      ['DELETE', '/api/agents'],
      ['GET', '/api/webhooks/stripe'],
    ]) {
      const answer = await call<ErrorBody>(t.url, method!, path!, { token: user.token });
      expect([method, path, answer.status, answer.body.error.code]).toEqual([method, path, 404, 'not_found']);
    }
  });

  it('sends helmet’s security headers and no X-Powered-By', async () => {
    const answer = await call(t.url, 'GET', '/healthz');
    expect(answer.headers.get('x-content-type-options')).toBe('nosniff');
    expect(answer.headers.get('content-security-policy')).toContain("default-src 'self'");
    expect(answer.headers.get('strict-transport-security')).toContain('max-age=');
    expect(answer.headers.get('x-frame-options')).toBe('SAMEORIGIN');
    expect(answer.headers.get('x-powered-by')).toBeNull();
  });

  it('echoes a sane X-Request-Id and makes one up otherwise', async () => {
    const echoed = await call(t.url, 'GET', '/healthz', { headers: { 'x-request-id': 'trace-123.abc' } });
    expect(echoed.headers.get('x-request-id')).toBe('trace-123.abc');
    const generated = await call(t.url, 'GET', '/healthz', { headers: { 'x-request-id': 'bad id with spaces' } });
    expect(generated.headers.get('x-request-id')).toMatch(/^[0-9a-f-]{36}$/);
    const errorAnswer = await call(t.url, 'GET', '/nope');
    expect(errorAnswer.headers.get('x-request-id')).toMatch(/^[0-9a-f-]{36}$/);
  });
});

describe('rate limits', () => {
  it('answers 429 rate_limited with Retry-After once a user spends the budget', async () => {
    const limited = await startTestIngress({ app: { rateLimit: { limit: 3, windowMs: 60_000 } } });
    try {
      const someone = await aUser().create(limited.db);
      const statuses = [];
      for (let i = 0; i < 4; i += 1) statuses.push((await call(limited.url, 'GET', '/api/agents', { token: someone.token })).status);
      const refused = await call<ErrorBody>(limited.url, 'GET', '/api/agents', { token: someone.token });
      const agent = await anAgent().ownedBy(someone).active().create(limited.db);
      const stop = await call<ErrorBody>(limited.url, 'POST', `/api/agents/${agent.id}/stop`, { token: someone.token });

      expect(statuses).toEqual([200, 200, 200, 429]);
      expect(refused.status).toBe(429);
      expect(refused.body.error.code).toBe('rate_limited');
      expect(Number(refused.headers.get('retry-after'))).toBeGreaterThan(0);
      expect(stop.status).toBe(429);
      expect(await limited.db.operation.count()).toBe(0);
      // Another user has a budget of their own.
      const other = await aUser().create(limited.db);
      expect((await call(limited.url, 'GET', '/api/agents', { token: other.token })).status).toBe(200);
    } finally {
      await limited.close();
    }
  });

  it('limits failed authentications per IP, so tokens cannot be guessed', async () => {
    const limited = await startTestIngress({ app: { rateLimit: { failedAuthLimit: 2 } } });
    try {
      const statuses = [];
      for (let i = 0; i < 3; i += 1) statuses.push((await call(limited.url, 'GET', '/api/agents', { token: `al_guess${i}` })).status);
      const refused = await call<ErrorBody>(limited.url, 'GET', '/api/agents', { token: 'al_guess-again' });
      expect(statuses).toEqual([401, 401, 429]);
      expect(refused.body.error.code).toBe('rate_limited');
      expect(Number(refused.headers.get('retry-after'))).toBeGreaterThan(0);
    } finally {
      await limited.close();
    }
  });
});

describe('failures inside', () => {
  it('answers 500 internal_error without internals, and logs the cause with the request id and no secret', async () => {
    const lines: Record<string, unknown>[] = [];
    const destination = new Writable({
      write(chunk: Buffer, _encoding, done) {
        for (const line of chunk.toString('utf8').split('\n').filter(Boolean)) lines.push(JSON.parse(line) as Record<string, unknown>);
        done();
      },
    });
    const logger = createLogger('ingress', { level: 'debug', destination });
    const config = testConfig({ DATABASE_URL: 'postgresql://postgres@127.0.0.1:1/unreachable' });
    const db = createDb(config.databaseUrl);
    const redis = createRedisConnection(config.redisUrl, 'producer');
    await new Promise((resolve) => redis.once('ready', resolve));
    const queues = new JobQueues({ connection: redis, prefix: config.queuePrefix, jobs: JOB_TABLE });
    const served = await serveApp(createApp({ config, db, queues, redis, logger }));
    try {
      const answer = await call(served.url, 'GET', '/api/agents', { token: 'al_some-token-value', headers: { 'x-request-id': 'req-500' } });

      expect(answer.status).toBe(500);
      expect(answer.text).toBe('{"error":{"code":"internal_error","message":"Internal error"}}');
      await new Promise((resolve) => setTimeout(resolve, 50));
      const failure = lines.find((line) => line.msg === 'request failed' && line.err);
      expect(failure).toMatchObject({ requestId: 'req-500' });
      expect(lines.filter((line) => line.requestId === 'req-500').length).toBe(lines.filter((line) => 'requestId' in line).length);
      expect(JSON.stringify(lines)).not.toContain('al_some-token-value');
    } finally {
      await served.close();
      await queues.close();
      await redis.quit();
      await db.$disconnect();
    }
  });
});
