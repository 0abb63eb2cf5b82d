// Webhook deliveries acted upon, so a redelivery does nothing (kept at least 30 days): the read
// side says whether a delivery was already applied; the write side records it inside the very
// statement that applies it, and only the statement that records it first goes on to apply it.
import { sql, type RawBuilder } from 'kysely';
import type { Sql } from './client';
import type { WebhookProvider } from './generated/client';

export interface Delivery {
  provider: WebhookProvider;
  /** Stripe's event id, or the callback's delivery id. */
  eventId: string;
  type: string;
  /** When the provider says it happened. */
  occurredAt?: Date | null;
}

/** Whether the delivery was applied before (for a read statement). */
export function wasApplied(delivery: Pick<Delivery, 'provider' | 'eventId'>): RawBuilder<boolean> {
  return sql<boolean>`EXISTS (SELECT 1 FROM "WebhookEvent" WHERE provider = ${delivery.provider}::"WebhookProvider" AND "eventId" = ${delivery.eventId})`;
}

/** Records the delivery when `when` holds; returns its row only if no earlier statement recorded it. */
export function recordDelivery(db: Sql, delivery: Delivery, when: RawBuilder<boolean>) {
  return db
    .insertInto('WebhookEvent')
    .columns(['provider', 'eventId', 'type', 'occurredAt'])
    .expression(sql`SELECT ${delivery.provider}::"WebhookProvider", ${delivery.eventId}, ${delivery.type}, ${delivery.occurredAt?.toISOString() ?? null}::timestamp(3) WHERE ${when}`)
    .onConflict((conflict) => conflict.columns(['provider', 'eventId']).doNothing())
    .returning('id');
}
