// Hetzner's per-project rate limit: the bucket arithmetic with a fake clock, and the headers,
// 429 answers and refill over HTTP with a small configured limit, shared by a project's tokens.
import type { CloudSim } from '@agent-lifecycle/cloud-sim';
import { RateLimiter } from '../src/rate-limit';
import { call, control, sandbox, startSim } from './sim-client';

describe('rate limit bucket arithmetic', () => {
  it('spends one request per call, refills at the configured rate and reports when it will be full', () => {
    let nowMs = 1_700_000_000_000;
    const limiter = new RateLimiter({ limit: 3, refillPerSecond: 1 }, () => nowMs);

    expect(limiter.take('t')).toEqual({ allowed: true, limit: 3, remaining: 2, resetAt: 1_700_000_001 });
    expect(limiter.take('t')).toMatchObject({ allowed: true, remaining: 1, resetAt: 1_700_000_002 });
    expect(limiter.take('t')).toMatchObject({ allowed: true, remaining: 0, resetAt: 1_700_000_003 });
    expect(limiter.take('t')).toMatchObject({ allowed: false, remaining: 0, resetAt: 1_700_000_003 });

    nowMs += 1_500; // 1.5 requests back
    expect(limiter.take('t')).toMatchObject({ allowed: true, remaining: 0 });
    expect(limiter.take('t')).toMatchObject({ allowed: false, remaining: 0 });

    nowMs += 60_000; // never beyond the limit
    expect(limiter.take('t')).toMatchObject({ allowed: true, remaining: 2 });
  });

  it('keeps one bucket per key', () => {
    const limiter = new RateLimiter({ limit: 1, refillPerSecond: 1 }, () => 0);
    expect(limiter.take('a').allowed).toBe(true);
    expect(limiter.take('a').allowed).toBe(false);
    expect(limiter.take('b').allowed).toBe(true);
  });

  it('refills fractional rates (3600 per hour is one per second)', () => {
    let nowMs = 0;
    const limiter = new RateLimiter({ limit: 3600, refillPerSecond: 1 }, () => nowMs);
    for (let i = 0; i < 3600; i += 1) limiter.take('t');
    expect(limiter.take('t').allowed).toBe(false);
    nowMs += 10_000;
    const verdict = limiter.take('t');
    expect(verdict).toMatchObject({ allowed: true, remaining: 9 });
    expect(verdict.resetAt).toBe(10 + 3591); // 3591 missing requests at one per second
  });
});

describe('rate limit over HTTP', () => {
  let sim: CloudSim;
  beforeAll(async () => {
    sim = await startSim();
  });
  afterAll(() => sim.close());
  beforeEach(async () => {
    await control(sim, 'POST', '/reset');
    await control(sim, 'PUT', '/credentials', {
      hetzner: {
        projects: [
          { name: 'sandbox', tokens: [sandbox.hetzner.token] },
          { name: 'project-a', tokens: ['token-a1', 'token-a2'] },
          { name: 'project-b', tokens: ['token-b'] },
        ],
      },
    });
  });

  it('sends Hetzner’s documented default headers on every answer', async () => {
    await control(sim, 'PUT', '/config', { rateLimit: { limit: 3600, refillPerSecond: 1 } });
    const before = Math.floor(Date.now() / 1000);
    const answer = await call(sim, 'GET', '/v1/servers');
    expect(answer.headers.get('ratelimit-limit')).toBe('3600');
    expect(answer.headers.get('ratelimit-remaining')).toBe('3599');
    const reset = Number(answer.headers.get('ratelimit-reset'));
    expect(reset).toBeGreaterThanOrEqual(before + 1);
    expect(reset).toBeLessThanOrEqual(before + 3);
    const notFound = await call(sim, 'GET', '/v1/servers/1');
    expect(notFound.status).toBe(404);
    expect(notFound.headers.get('ratelimit-remaining')).toBe('3598');
  });

  it('answers 429 rate_limit_exceeded once a project’s bucket is empty, and refills it over time', async () => {
    await control(sim, 'PUT', '/config', { rateLimit: { limit: 5, refillPerSecond: 4 } });
    const remaining: string[] = [];
    for (let i = 0; i < 5; i += 1) {
      // The project's two tokens spend the one bucket.
      const answer = await call(sim, 'GET', '/v1/servers', { token: i % 2 === 0 ? 'token-a1' : 'token-a2' });
      expect(answer.status).toBe(200);
      remaining.push(answer.headers.get('ratelimit-remaining') ?? '');
    }
    expect(remaining).toEqual(['4', '3', '2', '1', '0']);

    const limited = await call<{ error: { code: string } }>(sim, 'GET', '/v1/servers', { token: 'token-a2' });
    expect(limited.status).toBe(429);
    expect(limited.body.error.code).toBe('rate_limit_exceeded');
    expect(limited.headers.get('ratelimit-limit')).toBe('5');
    expect(limited.headers.get('ratelimit-remaining')).toBe('0');
    // Five requests at four per second: full again within two seconds.
    const reset = Number(limited.headers.get('ratelimit-reset'));
    expect(reset - Date.now() / 1000).toBeGreaterThan(0);
    expect(reset - Date.now() / 1000).toBeLessThanOrEqual(2.5);

    expect((await call(sim, 'GET', '/v1/servers', { token: 'token-b' })).status).toBe(200);

    await new Promise((resolve) => setTimeout(resolve, 600)); // about two requests back
    expect((await call(sim, 'GET', '/v1/servers', { token: 'token-a1' })).status).toBe(200);

    const counts = await control<Record<string, { total: number; byStatus: Record<string, number> }>>(sim, 'GET', '/requests');
    expect(counts.body['GET /v1/servers']).toEqual({ total: 8, byStatus: { '200': 7, '429': 1 } });
  });

  it('does not rate limit the control API', async () => {
    await control(sim, 'PUT', '/config', { rateLimit: { limit: 1, refillPerSecond: 0.01 } });
    for (let i = 0; i < 5; i += 1) expect((await control(sim, 'GET', '/state')).status).toBe(200);
    expect((await call(sim, 'GET', '/v1/servers')).status).toBe(200);
    expect((await call(sim, 'GET', '/v1/servers')).status).toBe(429);
  });

  it('rejects a rate limit configuration that cannot work', async () => {
    const answer = await control<{ error: { code: string; message: string } }>(sim, 'PUT', '/config', { rateLimit: { limit: 0 } });
    expect(answer.status).toBe(400);
    expect(answer.body.error).toMatchObject({ code: 'invalid_config', message: expect.stringContaining('rateLimit.limit') });
  });
});
