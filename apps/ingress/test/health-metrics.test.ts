import Redis from 'ioredis';
import { createRedisConnection } from '@agent-lifecycle/jobs';
import { createDb } from '@agent-lifecycle/db';
import { createApp } from '../src';
import { aUser, anAgent } from './support/builders';
import { call } from './support/http';
import { serveApp, silentLogger, startTestIngress, type TestIngress } from './support/ingress-fixture';
import { stripeEvent, stripeHeaders } from './support/signing';

let t: TestIngress;
beforeAll(async () => {
  t = await startTestIngress();
});
afterAll(() => t.close());

describe('health', () => {
  it('answers liveness with 200 ok', async () => {
    const answer = await call(t.url, 'GET', '/healthz');
    expect(answer.status).toBe(200);
    expect(answer.body).toEqual({ status: 'ok' });
  });

  it('is ready when Redis and PostgreSQL answer', async () => {
    const answer = await call(t.url, 'GET', '/readyz');
    expect(answer.status).toBe(200);
    expect(answer.body).toEqual({ status: 'ok', checks: { redis: 'ok', postgres: 'ok' } });
  });

  it('answers 503 naming Redis when Redis is down', async () => {
    // Nothing listens on port 1: every connection attempt is refused.
    const deadRedis = new Redis('redis://127.0.0.1:1', { enableOfflineQueue: false, maxRetriesPerRequest: 1, retryStrategy: () => 100, disconnectTimeout: 50 });
    deadRedis.on('error', () => undefined);
    const served = await serveApp(createApp({ config: t.config, db: t.db, queues: t.queues, redis: deadRedis, logger: silentLogger }, { readinessTimeoutMs: 300 }));
    try {
      const answer = await call(served.url, 'GET', '/readyz');
      expect(answer.status).toBe(503);
      expect(answer.body).toEqual({ status: 'unavailable', checks: { redis: 'down', postgres: 'ok' } });
    } finally {
      await served.close();
      deadRedis.disconnect();
    }
  });

  it('answers 503 naming PostgreSQL when the database is down', async () => {
    const deadDb = createDb('postgresql://postgres@127.0.0.1:1/unreachable');
    const redis = createRedisConnection(t.config.redisUrl, 'producer');
    await new Promise((resolve) => redis.once('ready', resolve));
    const served = await serveApp(createApp({ config: t.config, db: deadDb, queues: t.queues, redis, logger: silentLogger }, { readinessTimeoutMs: 300 }));
    try {
      const answer = await call(served.url, 'GET', '/readyz');
      expect(answer.status).toBe(503);
      expect(answer.body).toEqual({ status: 'unavailable', checks: { redis: 'ok', postgres: 'down' } });
    } finally {
      await served.close();
      await redis.quit();
      await deadDb.$disconnect();
    }
  });
});

describe('metrics', () => {
  it('exports latency by route template, operations created, verification failures and queue depths', async () => {
    const user = await aUser().create(t.db);
    const agent = await anAgent().ownedBy(user).active().create(t.db);
    await call(t.url, 'POST', `/api/agents/${agent.id}/stop`, { token: user.token });
    const forged = stripeEvent('customer.subscription.deleted', { id: 'sub_x', customer: 'cus_x', status: 'canceled' });
    await call(t.url, 'POST', '/api/webhooks/stripe', { raw: forged, headers: stripeHeaders(forged, { secret: 'whsec_wrong' }) });

    const answer = await call(t.url, 'GET', '/metrics');

    expect(answer.status).toBe(200);
    expect(answer.headers.get('content-type')).toContain('text/plain');
    expect(answer.text).toMatch(/http_request_duration_seconds_count\{method="POST",route="\/api\/agents\/\{id\}\/stop",status="202"\} 1/);
    expect(answer.text).toMatch(/http_request_duration_seconds_count\{method="POST",route="\/api\/webhooks\/stripe",status="400"\} 1/);
    expect(answer.text).toContain('agent_lifecycle_operations_created_total{kind="stop",source="api"} 1');
    expect(answer.text).toContain('agent_lifecycle_webhook_verification_failures_total{provider="stripe"} 1');
    expect(answer.text).toContain('agent_lifecycle_queue_jobs{queue="hetzner",state="waiting"} 1');
    expect(answer.text).toContain('agent_lifecycle_queue_jobs{queue="github",state="waiting"} 0');
  });

  it('keeps a registry per app, so two apps in one process count apart', async () => {
    const other = await startTestIngress();
    try {
      await call(other.url, 'GET', '/healthz');
      await call(other.url, 'GET', '/healthz');
      const mine = await call(t.url, 'GET', '/metrics');
      const theirs = await call(other.url, 'GET', '/metrics');
      expect(theirs.text).toMatch(/http_request_duration_seconds_count\{method="GET",route="\/healthz",status="200"\} 2/);
      expect(mine.text).not.toMatch(/route="\/healthz",status="200"\} 2/);
      expect(theirs.text).not.toContain('route="/api/agents/{id}/stop"');
    } finally {
      await other.close();
    }
  });

  it('labels unknown paths as unmatched instead of by path', async () => {
    await call(t.url, 'GET', '/random/path/123');
    const answer = await call(t.url, 'GET', '/metrics');
    expect(answer.text).toMatch(/route="unmatched",status="404"/);
    expect(answer.text).not.toContain('/random/path');
  });
});
