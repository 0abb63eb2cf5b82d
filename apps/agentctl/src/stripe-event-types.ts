// The Stripe events the sandbox helper sends (the ones billing acts on) and the names it
// gives them; kept apart from the builder so help and usage checks do not load `stripe`.

export const STRIPE_EVENT_TYPES = [
  'customer.subscription.created',
  'customer.subscription.updated',
  'customer.subscription.deleted',
  'invoice.payment_failed',
  'invoice.paid',
] as const;
export type StripeEventType = (typeof STRIPE_EVENT_TYPES)[number];

export const SUBSCRIPTION_STATUSES = ['incomplete', 'incomplete_expired', 'trialing', 'active', 'past_due', 'canceled', 'unpaid', 'paused'] as const;

/** The same subscription for every event about one customer, so events relate as in Stripe. */
export function defaultSubscriptionOf(customer: string): string {
  return `sub_${customer.replace(/^cus_/, '')}`;
}
