// Stripe events as Stripe would send them about one customer, for the sandbox: an `evt_`
// id, `created` now, a subscription or invoice object of the current API shape, and a
// `Stripe-Signature` made with the webhook secret by the `stripe` package itself.
import { randomInt } from 'node:crypto';
import Stripe from 'stripe';
import { defaultSubscriptionOf, type StripeEventType } from './stripe-event-types';

export interface StripeEventInput {
  type: StripeEventType;
  customer: string;
  /** Defaults to the customer's sandbox subscription, `sub_<customer suffix>`. */
  subscription?: string;
  /** Subscription status for `customer.subscription.created/updated` (default `active`). */
  status?: string;
  now?: Date;
}

const ALPHABET = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789';

/** A Stripe-looking id: prefix, underscore, 24 letters and digits. */
export function stripeId(prefix: string): string {
  let id = '';
  for (let i = 0; i < 24; i += 1) id += ALPHABET[randomInt(ALPHABET.length)];
  return `${prefix}_${id}`;
}

const DAY = 24 * 3600;
const PRICE = { id: 'price_agent_monthly', object: 'price', active: true, currency: 'eur', unit_amount: 1900, recurring: { interval: 'month', interval_count: 1 }, product: 'prod_agent', type: 'recurring' };

function subscriptionObject(input: StripeEventInput, subscription: string, now: number): Record<string, unknown> {
  const deleted = input.type === 'customer.subscription.deleted';
  const periodStart = now - 30 * DAY;
  return {
    id: subscription,
    object: 'subscription',
    customer: input.customer,
    status: deleted ? 'canceled' : (input.status ?? 'active'),
    created: periodStart,
    start_date: periodStart,
    billing_cycle_anchor: periodStart,
    cancel_at: null,
    cancel_at_period_end: false,
    canceled_at: deleted ? now : null,
    ended_at: deleted ? now : null,
    collection_method: 'charge_automatically',
    currency: 'eur',
    latest_invoice: stripeId('in'),
    livemode: false,
    metadata: {},
    items: {
      object: 'list',
      data: [{ id: stripeId('si'), object: 'subscription_item', subscription, quantity: 1, current_period_start: periodStart, current_period_end: now + DAY, price: PRICE }],
      has_more: false,
      total_count: 1,
      url: `/v1/subscription_items?subscription=${subscription}`,
    },
  };
}

function invoiceObject(input: StripeEventInput, subscription: string, now: number): Record<string, unknown> {
  const paid = input.type === 'invoice.paid';
  return {
    id: stripeId('in'),
    object: 'invoice',
    customer: input.customer,
    status: paid ? 'paid' : 'open',
    billing_reason: 'subscription_cycle',
    collection_method: 'charge_automatically',
    currency: 'eur',
    amount_due: PRICE.unit_amount,
    amount_paid: paid ? PRICE.unit_amount : 0,
    amount_remaining: paid ? 0 : PRICE.unit_amount,
    attempt_count: 1,
    attempted: true,
    created: now - 3600,
    period_start: now - 30 * DAY,
    period_end: now,
    next_payment_attempt: paid ? null : now + 3 * DAY,
    livemode: false,
    metadata: {},
    parent: { type: 'subscription_details', quote_details: null, subscription_details: { metadata: {}, subscription } },
    status_transitions: { finalized_at: now - 3600, paid_at: paid ? now : null, marked_uncollectible_at: null, voided_at: null },
  };
}

/** A whole event, as the JSON object Stripe would POST. */
export function buildStripeEvent(input: StripeEventInput): Record<string, unknown> {
  const now = Math.floor((input.now ?? new Date()).getTime() / 1000);
  const subscription = input.subscription ?? defaultSubscriptionOf(input.customer);
  const object = input.type.startsWith('invoice.') ? invoiceObject(input, subscription, now) : subscriptionObject(input, subscription, now);
  return {
    id: stripeId('evt'),
    object: 'event',
    api_version: Stripe.API_VERSION,
    created: now,
    livemode: false,
    pending_webhooks: 1,
    request: { id: null, idempotency_key: null },
    type: input.type,
    data: { object },
  };
}

/** The `Stripe-Signature` header for a payload: `t=<unix seconds>,v1=<HMAC-SHA256>`. */
export function stripeSignatureHeader(payload: string, secret: string, timestamp?: number): string {
  return Stripe.webhooks.generateTestHeaderString({ payload, secret, ...(timestamp === undefined ? {} : { timestamp }) });
}
