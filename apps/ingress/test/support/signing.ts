// Signed webhook deliveries as Stripe and the provisioning workflow send them.
import { createHmac, randomUUID } from 'node:crypto';
import Stripe from 'stripe';

export const STRIPE_SECRET = 'whsec_test_secret';
export const CALLBACK_SECRET = 'test-callback-secret';

const nowSeconds = () => Math.floor(Date.now() / 1000);
let events = 0;

/** A Stripe event body (JSON text) of the given type about `object`. */
export function stripeEvent(type: string, object: Record<string, unknown>, options: { id?: string; created?: number } = {}): string {
  events += 1;
  return JSON.stringify({
    id: options.id ?? `evt_test_${Date.now().toString(36)}_${events}`,
    object: 'event',
    api_version: '2025-09-30.clover',
    created: options.created ?? nowSeconds(),
    livemode: false,
    type,
    data: { object },
  });
}

export function stripeSignature(payload: string, options: { secret?: string; timestamp?: number } = {}): string {
  return Stripe.webhooks.generateTestHeaderString({ payload, secret: options.secret ?? STRIPE_SECRET, timestamp: options.timestamp });
}

/** Headers for a POST to /api/webhooks/stripe carrying `payload`. */
export function stripeHeaders(payload: string, options: { secret?: string; timestamp?: number } = {}): Record<string, string> {
  return { 'content-type': 'application/json', 'stripe-signature': stripeSignature(payload, options) };
}

export function callbackSignature(body: string | Buffer, timestamp: number, secret = CALLBACK_SECRET): string {
  return `sha256=${createHmac('sha256', secret).update(`${timestamp}.`).update(body).digest('hex')}`;
}

/** Headers for a POST to /api/webhooks/github carrying `body`. */
export function callbackHeaders(body: string, options: { secret?: string; timestamp?: number; deliveryId?: string } = {}): Record<string, string> {
  const timestamp = options.timestamp ?? nowSeconds();
  return {
    'content-type': 'application/json',
    'x-hub-signature-256': callbackSignature(body, timestamp, options.secret),
    'x-callback-timestamp': String(timestamp),
    'x-delivery-id': options.deliveryId ?? randomUUID(),
  };
}
