// Stripe's JSON becomes a billing event at the edge: the event kinds, the invoice's
// subscription where today's API puts it (and where older versions did), period ends and
// quantities from subscription items, and the events that are not billing events at all.
import { billingEventOf, type StripeEvent } from '../src/webhooks/stripe-billing-event';

const event = (type: string, object: Record<string, unknown>, created = 1_900_000_000): StripeEvent => ({ id: 'evt_1', type, created, data: { object } });

const subscription = (overrides: Record<string, unknown> = {}) => ({
  id: 'sub_1',
  object: 'subscription',
  customer: 'cus_1',
  status: 'active',
  items: {
    data: [
      { quantity: 2, current_period_end: 1_900_100_000 },
      { quantity: 3, current_period_end: 1_900_200_000 },
    ],
    has_more: false,
  },
  ...overrides,
});

const subscriptionLine = (quantity: number, proration = false) => ({ quantity, parent: { type: 'subscription_item_details', subscription_item_details: { proration } } });

describe('subscription events', () => {
  it('reads a cancellation with its customer, time, period end and the sum of the item quantities', () => {
    expect(billingEventOf(event('customer.subscription.deleted', subscription({ status: 'canceled' })))).toEqual({
      kind: 'cancelled',
      eventId: 'evt_1',
      customerId: 'cus_1',
      subscriptionId: 'sub_1',
      occurredAt: new Date(1_900_000_000_000),
      quantity: 5,
      periodEnd: new Date(1_900_200_000_000),
    });
  });

  it('reads an update as a change to the status Stripe gives, an unknown status as incomplete', () => {
    expect(billingEventOf(event('customer.subscription.updated', subscription({ status: 'past_due' })))).toMatchObject({ kind: 'changed', status: 'past_due', quantity: 5 });
    expect(billingEventOf(event('customer.subscription.created', subscription({ status: 'brand_new' })))).toMatchObject({ kind: 'changed', status: 'incomplete' });
  });

  it('takes an expanded customer object by its id and a period end from older API versions', () => {
    const older = subscription({ customer: { id: 'cus_9', object: 'customer' }, items: undefined, current_period_end: 1_900_300_000 });
    expect(billingEventOf(event('customer.subscription.updated', older))).toMatchObject({ customerId: 'cus_9', periodEnd: new Date(1_900_300_000_000), quantity: null });
  });

  it('says nothing about the quantity when the item list is incomplete or an item has none', () => {
    expect(billingEventOf(event('customer.subscription.updated', subscription({ items: { data: [{ quantity: 1 }], has_more: true } })))).toMatchObject({ quantity: null });
    expect(billingEventOf(event('customer.subscription.updated', subscription({ items: { data: [{ quantity: 1 }, {}], has_more: false } })))).toMatchObject({ quantity: null });
  });
});

describe('invoice events', () => {
  const invoice = (overrides: Record<string, unknown> = {}) => ({
    object: 'invoice',
    customer: 'cus_1',
    parent: { type: 'subscription_details', subscription_details: { subscription: 'sub_1' } },
    lines: { data: [subscriptionLine(2), subscriptionLine(1), subscriptionLine(7, true), { quantity: 1, parent: { type: 'invoice_item_details' } }], has_more: false },
    ...overrides,
  });

  it('reads a failed payment with the subscription under parent.subscription_details, counting subscription lines but not prorations', () => {
    expect(billingEventOf(event('invoice.payment_failed', invoice()))).toEqual({
      kind: 'payment_failed',
      eventId: 'evt_1',
      customerId: 'cus_1',
      subscriptionId: 'sub_1',
      occurredAt: new Date(1_900_000_000_000),
      quantity: 3,
    });
  });

  it('reads a paid invoice of an older API version by its top-level subscription', () => {
    expect(billingEventOf(event('invoice.paid', { object: 'invoice', customer: 'cus_1', subscription: 'sub_old' }))).toMatchObject({ kind: 'paid', subscriptionId: 'sub_old', quantity: null });
  });

  it('is not a billing event without a subscription or a customer', () => {
    expect(billingEventOf(event('invoice.paid', invoice({ parent: null })))).toBe('no_subscription');
    expect(billingEventOf(event('invoice.paid', invoice({ customer: null })))).toBe('unknown_customer');
  });
});

it('ignores every other event type', () => {
  expect(billingEventOf(event('charge.succeeded', { id: 'ch_1', object: 'charge', customer: 'cus_1' }))).toBe('ignored_type');
});
