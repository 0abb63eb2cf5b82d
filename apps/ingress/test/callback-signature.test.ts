import { CALLBACK_TOLERANCE_SECONDS, verifyCallbackSignature } from '../src';
import { canonicalJson } from '../src/middleware/idempotency';
import { callbackSignature } from './support/signing';

const secret = 'test-callback-secret';
const now = 1_800_000_000;
const body = Buffer.from('{"job_id":"job1","status":"running"}');

describe('the provisioning callback signature', () => {
  it('accepts the HMAC of "<timestamp>.<raw body>" within the window, either way', () => {
    for (const offset of [0, -CALLBACK_TOLERANCE_SECONDS, CALLBACK_TOLERANCE_SECONDS]) {
      const timestamp = now + offset;
      expect(verifyCallbackSignature({ rawBody: body, signature: callbackSignature(body, timestamp, secret), timestamp: String(timestamp) }, secret, now)).toBe('valid');
    }
  });

  it('accepts an upper-case hex digest', () => {
    const signature = callbackSignature(body, now, secret).replace(/[a-f]/g, (c) => c.toUpperCase()).replace('SHA256=', 'sha256=');
    expect(verifyCallbackSignature({ rawBody: body, signature, timestamp: String(now) }, secret, now)).toBe('valid');
  });

  it.each([
    ['no signature', { signature: undefined }, 'missing_signature'],
    ['a signature without the sha256= prefix', { signature: 'abc' }, 'malformed_signature'],
    ['a short digest', { signature: 'sha256=abcd' }, 'malformed_signature'],
    ['no timestamp', { timestamp: undefined }, 'bad_timestamp'],
    ['a negative timestamp', { timestamp: '-5' }, 'bad_timestamp'],
    ['a timestamp 301 s old', { timestamp: String(now - 301) }, 'expired'],
    ['a timestamp 301 s ahead', { timestamp: String(now + 301) }, 'expired'],
    ['a signature by another secret', { signature: callbackSignature(body, now, 'other') }, 'mismatch'],
    ['another body', { rawBody: Buffer.from('{"job_id":"job2","status":"running"}') }, 'mismatch'],
    ['a signature over another timestamp', { timestamp: String(now - 1) }, 'mismatch'],
  ])('refuses %s', (_case, override, verdict) => {
    const callback = { rawBody: body, signature: callbackSignature(body, now, secret), timestamp: String(now), ...override };
    expect(verifyCallbackSignature(callback, secret, now)).toBe(verdict);
  });
});

describe('the canonical body behind idempotency hashes', () => {
  it('is the same whatever the order of keys, and differs when a value differs', () => {
    expect(canonicalJson({ b: 1, a: { d: [1, { f: 2, e: 3 }], c: 'x' } })).toBe(canonicalJson({ a: { c: 'x', d: [1, { e: 3, f: 2 }] }, b: 1 }));
    expect(canonicalJson({ name: 'a' })).not.toBe(canonicalJson({ name: 'b' }));
    expect(canonicalJson(undefined)).toBe('');
  });
});
