// Stripe's words stop here: a verified Stripe event becomes one of the lifecycle's billing
// events (cancelled, payment failed, paid, changed) with its customer, subscription, time and
// quantity, or a reason it is not one. Reads today's API shapes (an invoice's subscription
// under `parent.subscription_details`, period ends and quantities on subscription items) and
// the older top-level fields where they used to be; every other field is ignored.
import type { SubscriptionStatus } from '@agent-lifecycle/db';
import type { BillingEvent } from '@agent-lifecycle/lifecycle';
import { z } from 'zod';

/** The envelope the route has already validated. */
export interface StripeEvent {
  id: string;
  type: string;
  /** Unix seconds. */
  created: number;
  data: { object: Record<string, unknown> };
}

export type NotABillingEvent = 'ignored_type' | 'no_subscription' | 'unknown_customer';

const SUBSCRIPTION_STATUSES = ['incomplete', 'incomplete_expired', 'trialing', 'active', 'past_due', 'canceled', 'unpaid', 'paused'] as const satisfies readonly SubscriptionStatus[];

/** An id, or the expanded object carrying it. */
const reference = z.union([z.string(), z.object({ id: z.string() }).transform(({ id }) => id)]);
const count = z.number().int().nonnegative();
const list = <T extends z.ZodType>(item: T) => z.object({ data: z.array(item).catch([]), has_more: z.boolean().optional() }).optional().catch(undefined);

const subscriptionObject = z.object({
  id: z.string().optional(),
  customer: reference.optional().catch(undefined),
  status: z.string().optional(),
  /** Older API versions. */
  current_period_end: z.number().optional().catch(undefined),
  items: list(z.object({ quantity: count.nullish().catch(undefined), current_period_end: z.number().optional().catch(undefined) })),
});

const invoiceObject = z.object({
  customer: reference.optional().catch(undefined),
  parent: z.object({ subscription_details: z.object({ subscription: reference.nullish() }).nullish() }).nullish().catch(undefined),
  /** Older API versions. */
  subscription: reference.nullish().catch(undefined),
  lines: list(
    z.object({
      quantity: count.nullish().catch(undefined),
      parent: z
        .object({ type: z.string().optional(), subscription_item_details: z.object({ proration: z.boolean().optional() }).nullish() })
        .nullish()
        .catch(undefined),
    }),
  ),
});

type Items = { data: { quantity?: number | null }[]; has_more?: boolean } | undefined;

/** The sum of the quantities, when the list is complete and says them; null otherwise. */
function sumOf(items: Items): number | null {
  if (!items || items.has_more || items.data.length === 0) return null;
  let total = 0;
  for (const item of items.data) {
    if (typeof item.quantity !== 'number') return null;
    total += item.quantity;
  }
  return total;
}

function periodEndOf(subscription: z.infer<typeof subscriptionObject>): Date | null {
  const ends = (subscription.items?.data ?? []).map((item) => item.current_period_end).filter((end): end is number => end !== undefined);
  const seconds = ends.length > 0 ? Math.max(...ends) : subscription.current_period_end;
  return seconds === undefined ? null : new Date(seconds * 1000);
}

const statusOf = (status: string | undefined): SubscriptionStatus =>
  (SUBSCRIPTION_STATUSES as readonly string[]).includes(status ?? '') ? (status as SubscriptionStatus) : 'incomplete';

export function billingEventOf(event: StripeEvent): BillingEvent | NotABillingEvent {
  const base = { eventId: event.id, occurredAt: new Date(event.created * 1000) };
  switch (event.type) {
    case 'customer.subscription.created':
    case 'customer.subscription.updated':
    case 'customer.subscription.deleted': {
      const subscription = subscriptionObject.safeParse(event.data.object);
      if (!subscription.success || !subscription.data.id) return 'no_subscription';
      const { customer, id } = subscription.data;
      if (!customer) return 'unknown_customer';
      const common = { ...base, customerId: customer, subscriptionId: id, quantity: sumOf(subscription.data.items), periodEnd: periodEndOf(subscription.data) };
      return event.type === 'customer.subscription.deleted' ? { kind: 'cancelled', ...common } : { kind: 'changed', status: statusOf(subscription.data.status), ...common };
    }
    case 'invoice.payment_failed':
    case 'invoice.paid': {
      const invoice = invoiceObject.safeParse(event.data.object);
      if (!invoice.success) return 'no_subscription';
      const subscriptionId = invoice.data.parent?.subscription_details?.subscription ?? invoice.data.subscription;
      if (!subscriptionId) return 'no_subscription';
      if (!invoice.data.customer) return 'unknown_customer';
      const lines = invoice.data.lines && {
        ...invoice.data.lines,
        data: invoice.data.lines.data.filter((line) => line.parent?.type === 'subscription_item_details' && !line.parent.subscription_item_details?.proration),
      };
      const common = { ...base, customerId: invoice.data.customer, subscriptionId, quantity: sumOf(lines) };
      return event.type === 'invoice.paid' ? { kind: 'paid', ...common } : { kind: 'payment_failed', ...common };
    }
    default:
      return 'ignored_type';
  }
}
