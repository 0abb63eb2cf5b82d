// The provisioning callback signature of docs/webhooks.md: HMAC-SHA256, keyed with the callback
// secret, over "<unix timestamp>.<raw body>", sent as `X-Hub-Signature-256: sha256=<hex>`.
import { createHmac } from 'node:crypto';

export function signCallback(secret: string, timestamp: number, rawBody: string): string {
  return `sha256=${createHmac('sha256', secret).update(`${timestamp}.${rawBody}`).digest('hex')}`;
}
