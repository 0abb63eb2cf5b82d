// Which GitHub failures are retried, which wait for the rate limit and which are final.
import { PermanentError, RateLimitedError, RetryableError } from '@agent-lifecycle/errors';
import { classifyGithubError } from '@agent-lifecycle/github';

const now = new Date('2030-01-01T00:00:00Z');
const nowSeconds = now.getTime() / 1000;
const call = 'dispatch of provisioning job j1 (agent a1)';
const answer = (status: number, body = '', headers: Record<string, string> = {}) => ({ answer: { status, headers: new Headers(headers), body } });

describe('classifyGithubError', () => {
  it('retries a 5xx, after Retry-After when GitHub gives one', () => {
    const plain = classifyGithubError(call, answer(502, '{"message":"Server Error"}'), now);
    expect(plain).toBeInstanceOf(RetryableError);
    expect(plain).not.toBeInstanceOf(RateLimitedError);
    expect(plain.message).toBe('GitHub dispatch of provisioning job j1 (agent a1) failed: server_error (Server Error)');
    expect((classifyGithubError(call, answer(503, '', { 'retry-after': '30' }), now) as RetryableError).retryAfterMs).toBe(30_000);
  });

  it('waits out a 429 for Retry-After, else until the quota resets, else a minute', () => {
    const after = classifyGithubError(call, answer(429, '', { 'retry-after': '5' }), now);
    expect(after).toBeInstanceOf(RateLimitedError);
    expect((after as RateLimitedError).resetAt).toEqual(new Date(now.getTime() + 5000));
    const quota = classifyGithubError(call, answer(429, '', { 'x-ratelimit-remaining': '0', 'x-ratelimit-reset': String(nowSeconds + 600) }), now);
    expect((quota as RateLimitedError).resetAt).toEqual(new Date(now.getTime() + 600_000));
    const unsaid = classifyGithubError(call, answer(429), now);
    expect((unsaid as RateLimitedError).resetAt).toEqual(new Date(now.getTime() + 60_000));
  });

  it('reads a 403 with the quota spent as a rate limit, and any other 403 as final', () => {
    const spent = classifyGithubError(call, answer(403, '{"message":"API rate limit exceeded"}', { 'x-ratelimit-remaining': '0', 'x-ratelimit-reset': String(nowSeconds + 60) }), now);
    expect(spent).toBeInstanceOf(RateLimitedError);
    const secondary = classifyGithubError(call, answer(403, '{"message":"You have exceeded a secondary rate limit"}', { 'retry-after': '60' }), now);
    expect(secondary).toBeInstanceOf(RateLimitedError);
    const forbidden = classifyGithubError(call, answer(403, '{"message":"Resource not accessible by integration"}', { 'x-ratelimit-remaining': '4999' }), now);
    expect(forbidden).toBeInstanceOf(PermanentError);
    expect(forbidden.code).toBe('forbidden');
  });

  it.each([
    [400, 'invalid_request'],
    [401, 'unauthorized'],
    [404, 'not_found'],
    [422, 'validation_failed'],
    [410, 'http_410'],
  ])('gives up on a %i answer as %s', (status, code) => {
    const error = classifyGithubError(call, answer(status, '{"message":"Invalid request.\\n\\n\\"ref\\" wasn\'t supplied."}'), now);
    expect(error).toBeInstanceOf(PermanentError);
    expect(error.code).toBe(code);
    expect(error.message).toBe(`GitHub ${call} failed: ${code} (Invalid request.)`);
  });

  it('retries a refused connection and a request that ran out of time', () => {
    const refused = new TypeError('fetch failed', { cause: Object.assign(new Error('connect ECONNREFUSED 127.0.0.1:9'), { code: 'ECONNREFUSED' }) });
    expect(classifyGithubError(call, { thrown: refused }, now)).toMatchObject({ kind: 'retryable', code: 'network_error' });
    const timeout = new DOMException('The operation was aborted due to timeout', 'TimeoutError');
    expect(classifyGithubError(call, { thrown: timeout }, now)).toMatchObject({ kind: 'retryable', code: 'timeout' });
  });
});
