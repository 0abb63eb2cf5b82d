// Webhook deliveries acted upon, so a redelivery does nothing (kept at least 30 days): the read
// side says whether a delivery was already applied; the write side records it inside the very
// statement that applies it, and only the statement that records it first goes on to apply it.
import { sql, type RawBuilder } from 'kysely';
import type { Db, Sql } from './client';
import type { WebhookProvider } from './generated/client';
import { prepare, type Placeholders } from './prepared';

export interface Delivery {
  provider: WebhookProvider;
  /** Stripe's event id, or the callback's delivery id. */
  eventId: string;
  type: string;
  /** When the provider says it happened. */
  occurredAt?: Date | null;
}

/** Whether the delivery was applied before (for a read statement). */
export function wasApplied(provider: WebhookProvider, eventId: string): RawBuilder<boolean> {
  return sql<boolean>`EXISTS (SELECT 1 FROM "WebhookEvent" WHERE provider = ${sql.lit(provider)}::"WebhookProvider" AND "eventId" = ${eventId})`;
}

/** Records the delivery when `when` holds; returns its row only if no earlier statement recorded it. */
export function recordDeliveryWhen(db: Sql, delivery: { provider: WebhookProvider; eventId: string; type: string; occurredAt: string | null }, when: RawBuilder<boolean>) {
  return db
    .insertInto('WebhookEvent')
    .columns(['provider', 'eventId', 'type', 'occurredAt'])
    .expression(sql`SELECT ${sql.lit(delivery.provider)}::"WebhookProvider", ${delivery.eventId}, ${delivery.type}, ${delivery.occurredAt}::timestamp(3) WHERE ${when}`)
    .onConflict((conflict) => conflict.columns(['provider', 'eventId']).doNothing())
    .returning('id');
}

const insertDelivery = prepare((db, p: Placeholders<{ provider: WebhookProvider; eventId: string; type: string; occurredAt: string | null }>) =>
  db.insertInto('WebhookEvent').values({ provider: p.provider, eventId: p.eventId, type: p.type, occurredAt: p.occurredAt }).onConflict((conflict) => conflict.columns(['provider', 'eventId']).doNothing()).returning('id'),
);

/** Records a delivery that changes nothing else; false when it was recorded before. */
export async function recordDelivery(db: Db, delivery: Delivery): Promise<boolean> {
  const rows = await insertDelivery(db, { provider: delivery.provider, eventId: delivery.eventId, type: delivery.type, occurredAt: delivery.occurredAt?.toISOString() ?? null });
  return rows.length === 1;
}
