// Which Hetzner failures are worth retrying, which must wait for the rate limit, and which
// are final, with messages that name the call and never the token.
import { AxiosError, AxiosHeaders, type AxiosResponse, type InternalAxiosRequestConfig } from 'axios';
import { PermanentError, RateLimitedError, RetryableError } from '@agent-lifecycle/errors';
import { classifyHetznerError } from '@agent-lifecycle/hetzner';

const now = new Date('2030-01-01T00:00:00Z');
const nowSeconds = now.getTime() / 1000;
const config = { headers: new AxiosHeaders({ Authorization: 'Bearer secret-token' }) } as InternalAxiosRequestConfig;

function answer(status: number, body: unknown, headers: Record<string, string> = {}): AxiosError {
  const response: AxiosResponse = { status, statusText: '', headers, data: body, config };
  return new AxiosError(`Request failed with status code ${status}`, status >= 500 ? 'ERR_BAD_RESPONSE' : 'ERR_BAD_REQUEST', config, {}, response);
}

const hetznerError = (status: number, code: string, message = `${code} happened`) => answer(status, { error: { code, message, details: {} } });

describe('classifyHetznerError', () => {
  it.each([
    [409, 'conflict'],
    [423, 'locked'],
    [503, 'service_error'],
    [500, 'server_error'],
    [504, 'timeout'],
    [503, 'unavailable'],
    [503, 'maintenance'],
    [412, 'resource_unavailable'],
  ])('retries a %i %s answer', (status, code) => {
    const error = classifyHetznerError(hetznerError(status, code), 'shutdown of server 42', now);
    expect(error).toBeInstanceOf(RetryableError);
    expect(error).not.toBeInstanceOf(RateLimitedError);
    expect(error.code).toBe(code);
  });

  it.each([
    [400, 'invalid_input'],
    [403, 'forbidden'],
    [401, 'unauthorized'],
    [403, 'protected'],
    [403, 'token_readonly'],
    [400, 'json_error'],
    [409, 'uniqueness_error'],
    [412, 'placement_error'],
    [404, 'not_found'],
    [422, 'something_new'],
  ])('gives up on a %i %s answer', (status, code) => {
    const error = classifyHetznerError(hetznerError(status, code), 'poweron of server 7', now);
    expect(error).toBeInstanceOf(PermanentError);
    expect(error.code).toBe(code);
  });

  it('names the call, the code and Hetzner\'s message, and never the token', () => {
    const error = classifyHetznerError(hetznerError(423, 'locked', 'server is locked'), 'shutdown of server 42', now);
    expect(error.message).toBe('Hetzner shutdown of server 42 failed: locked (server is locked)');
    expect(JSON.stringify({ message: error.message, details: error.details })).not.toContain('secret-token');
  });

  it('retries any 5xx, even without a Hetzner error body', () => {
    const error = classifyHetznerError(answer(502, '<html>Bad Gateway</html>'), 'get of server 1', now);
    expect(error).toBeInstanceOf(RetryableError);
    expect(error.code).toBe('http_502');
  });

  it('treats a 4xx without a Hetzner error body as permanent', () => {
    const error = classifyHetznerError(answer(418, 'teapot'), 'get of server 1', now);
    expect(error).toBeInstanceOf(PermanentError);
    expect(error.code).toBe('http_418');
  });

  it('retries refused, reset and hung-up connections', () => {
    for (const [code, message] of [
      ['ECONNREFUSED', 'connect ECONNREFUSED 127.0.0.1:9'],
      ['ECONNRESET', 'read ECONNRESET'],
      [undefined, 'socket hang up'],
    ] as const) {
      const error = classifyHetznerError(new AxiosError(message, code, config, {}), 'get of server 1', now);
      expect(error).toBeInstanceOf(RetryableError);
      expect(error.code).toBe('network_error');
      expect(error.message).toContain(message);
    }
  });

  it('retries a request the client gave up waiting for', () => {
    for (const code of ['ECONNABORTED', 'ETIMEDOUT']) {
      const error = classifyHetznerError(new AxiosError('timeout of 100ms exceeded', code, config, {}), 'get of action 9', now);
      expect(error).toBeInstanceOf(RetryableError);
      expect(error.code).toBe('timeout');
    }
  });

  it('does not retry a request the client cannot even send', () => {
    const error = classifyHetznerError(new AxiosError('Invalid URL', 'ERR_INVALID_URL', config), 'get of server 1', now);
    expect(error).toBeInstanceOf(PermanentError);
  });

  it('treats an answer hcloud-js cannot map as permanent', () => {
    const error = classifyHetznerError(new TypeError("Cannot read properties of undefined (reading 'map')"), 'list of servers', now);
    expect(error).toBeInstanceOf(PermanentError);
    expect(error.code).toBe('unexpected_response');
  });

  it('passes our own errors through unchanged', () => {
    const original = new RetryableError('rate_budget_unavailable', 'Redis is down');
    expect(classifyHetznerError(original, 'get of server 1', now)).toBe(original);
  });

  describe('a 429', () => {
    const limited = (headers: Record<string, string>) =>
      classifyHetznerError(answer(429, { error: { code: 'rate_limit_exceeded', message: 'limit of requests per hour reached' } }, headers), 'poweroff of server 3', now);

    it('is a RateLimitedError due when one request has refilled, read from the UNIX-seconds RateLimit-Reset', () => {
      // 3600 requests refilling until a full bucket one hour later: one request per second.
      const error = limited({ 'ratelimit-limit': '3600', 'ratelimit-remaining': '0', 'ratelimit-reset': String(nowSeconds + 3600) });
      expect(error).toBeInstanceOf(RateLimitedError);
      expect(error.code).toBe('rate_limit_exceeded');
      expect((error as RateLimitedError).resetAt).toEqual(new Date(now.getTime() + 1000));
      expect((error as RateLimitedError).retryAfterMs).toBe(1000);
      expect(error.message).toMatch(/^Hetzner poweroff of server 3 failed: rate_limit_exceeded \(limit of requests per hour reached; next request at /);
    });

    it('waits for RateLimit-Reset itself when the limit and remaining count are unknown', () => {
      const error = limited({ 'ratelimit-reset': String(nowSeconds + 30) }) as RateLimitedError;
      expect(error.resetAt).toEqual(new Date(now.getTime() + 30_000));
    });

    it('falls back to Retry-After, then to one second', () => {
      expect((limited({ 'retry-after': '7' }) as RateLimitedError).resetAt).toEqual(new Date(now.getTime() + 7000));
      expect((limited({}) as RateLimitedError).resetAt).toEqual(new Date(now.getTime() + 1000));
    });
  });
});
