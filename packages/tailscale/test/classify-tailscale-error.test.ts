// Which Tailscale failures are retried, which wait for the rate limit and which are final.
import { PermanentError, RateLimitedError, RetryableError } from '@agent-lifecycle/errors';
import { classifyTailscaleError } from '@agent-lifecycle/tailscale';

const now = new Date('2030-01-01T00:00:00Z');
const answer = (status: number, body = '', headers: Record<string, string> = {}) => ({ answer: { status, headers: new Headers(headers), body } });

describe('classifyTailscaleError', () => {
  it.each([500, 502, 503, 504])('retries a %i answer', (status) => {
    const error = classifyTailscaleError('removal of device 7', answer(status, '{"message":"busy"}'), now);
    expect(error).toBeInstanceOf(RetryableError);
    expect(error).not.toBeInstanceOf(RateLimitedError);
    expect(error.message).toBe('Tailscale removal of device 7 failed: server_error (busy)');
  });

  it.each([
    [400, 'invalid_request'],
    [401, 'unauthorized'],
    [403, 'forbidden'],
    [404, 'not_found'],
    [422, 'http_422'],
  ])('gives up on a %i answer as %s', (status, code) => {
    const error = classifyTailscaleError('list of devices named agent-1', answer(status, '{"message":"no"}'), now);
    expect(error).toBeInstanceOf(PermanentError);
    expect(error.code).toBe(code);
  });

  it('explains with the OAuth error description, or the status when the body is not JSON', () => {
    expect(classifyTailscaleError('OAuth token request', answer(401, '{"error":"invalid_client","error_description":"bad secret"}'), now).message).toBe(
      'Tailscale OAuth token request failed: unauthorized (bad secret)',
    );
    expect(classifyTailscaleError('removal of device 7', answer(502, '<html></html>'), now).message).toBe('Tailscale removal of device 7 failed: server_error (HTTP 502)');
  });

  it('waits out a 429 for Retry-After seconds or until its date, else a second', () => {
    const inSeconds = classifyTailscaleError('removal of device 7', answer(429, '', { 'retry-after': '12' }), now);
    expect(inSeconds).toBeInstanceOf(RateLimitedError);
    expect((inSeconds as RateLimitedError).resetAt).toEqual(new Date(now.getTime() + 12_000));
    const atDate = classifyTailscaleError('removal of device 7', answer(429, '', { 'retry-after': 'Tue, 01 Jan 2030 00:01:00 GMT' }), now) as RateLimitedError;
    expect(atDate.resetAt).toEqual(new Date('2030-01-01T00:01:00Z'));
    const unsaid = classifyTailscaleError('removal of device 7', answer(429), now) as RateLimitedError;
    expect(unsaid.resetAt).toEqual(new Date(now.getTime() + 1000));
  });

  it('retries a refused connection and a request that ran out of time', () => {
    const refused = new TypeError('fetch failed', { cause: Object.assign(new Error('connect ECONNREFUSED 127.0.0.1:9'), { code: 'ECONNREFUSED' }) });
    const network = classifyTailscaleError('removal of device 7', { thrown: refused }, now);
    expect(network).toBeInstanceOf(RetryableError);
    expect(network.code).toBe('network_error');
    expect(network.message).toBe('Tailscale removal of device 7 failed: network_error (ECONNREFUSED: connect ECONNREFUSED 127.0.0.1:9)');

    const timeout = classifyTailscaleError('removal of device 7', { thrown: new DOMException('The operation was aborted due to timeout', 'TimeoutError') }, now);
    expect(timeout).toBeInstanceOf(RetryableError);
    expect(timeout.code).toBe('timeout');
  });
});
