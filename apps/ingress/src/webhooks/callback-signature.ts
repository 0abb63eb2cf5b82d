// Verifies a provisioning callback (docs/webhooks.md): `X-Hub-Signature-256: sha256=<hex>`
// is the HMAC-SHA256, keyed with GITHUB_CALLBACK_SECRET, of "<timestamp>.<raw body>", and
// `X-Callback-Timestamp` is within the replay window of now, either way.
import { createHmac, timingSafeEqual } from 'node:crypto';

export const CALLBACK_TOLERANCE_SECONDS = 300;

const SIGNATURE = /^sha256=([0-9a-f]{64})$/i;
const TIMESTAMP = /^\d{1,12}$/;

export interface SignedCallback {
  rawBody: Buffer;
  signature: string | undefined;
  timestamp: string | undefined;
}

export type CallbackVerdict = 'valid' | 'missing_signature' | 'malformed_signature' | 'bad_timestamp' | 'expired' | 'mismatch';

export function verifyCallbackSignature(
  callback: SignedCallback,
  secret: string,
  nowSeconds: number = Math.floor(Date.now() / 1000),
  toleranceSeconds: number = CALLBACK_TOLERANCE_SECONDS,
): CallbackVerdict {
  if (!callback.signature) return 'missing_signature';
  const given = SIGNATURE.exec(callback.signature.trim())?.[1];
  if (!given) return 'malformed_signature';
  if (!callback.timestamp || !TIMESTAMP.test(callback.timestamp)) return 'bad_timestamp';
  if (Math.abs(nowSeconds - Number(callback.timestamp)) > toleranceSeconds) return 'expired';
  const expected = createHmac('sha256', secret).update(`${callback.timestamp}.`).update(callback.rawBody).digest();
  // Both buffers are 32 bytes: the hex pattern above guarantees it for the given one.
  return timingSafeEqual(Buffer.from(given, 'hex'), expected) ? 'valid' : 'mismatch';
}
