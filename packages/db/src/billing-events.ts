// Persistence of billing events: one statement reads the customer, the stored subscription
// and the customer's agents with their pending operations; one statement records the event
// (at most once), mirrors the subscription and records the operations billing decided, if the
// subscription and those agents are still as read.
import { sql } from 'kysely';
import { jsonArrayFrom, jsonObjectFrom } from 'kysely/helpers/postgres';
import { uniqueConstraintOf, type Db } from './client';
import type { AgentStatus, OperationKind, SubscriptionStatus, SuspendedBy } from './generated/client';
import { utcDate } from './json-rows';
import { StaleRead, unchanged, versionColumns, versionOf, type Versioned } from './locks';
import {
  auditColumns,
  auditSuperseded,
  destroyColumns,
  insertAuditEntries,
  insertOperations,
  operationColumns,
  planOperation,
  supersedeQueuedPowerChanges,
  type AuditColumns,
  type AuditInput,
  type DestroyColumns,
  type NewOperation,
  type OperationColumns,
  type OperationRecord,
} from './operations';
import { prepare, type Placeholders } from './prepared';
import { recordDeliveryWhen, wasApplied, type Delivery } from './webhook-events';

export interface BillingAgent extends Versioned {
  status: AgentStatus;
  suspendedBy: SuspendedBy | null;
  /** Kinds of its operations still queued or running, oldest first. */
  pending: OperationKind[];
}

export interface StoredSubscription extends Versioned {
  status: SubscriptionStatus;
  lastEventAt: Date;
  quantity: number | null;
}

export interface BillingFacts {
  /** The event was applied before. */
  applied: boolean;
  /** The user of the Stripe customer; null for a customer we do not know. */
  userId: string | null;
  subscription: StoredSubscription | null;
  /** The customer's agents that are not destroyed or being destroyed, oldest first. */
  agents: BillingAgent[];
}

const GONE: AgentStatus[] = ['destroying', 'destroyed'];

const readFacts = prepare((db, p: Placeholders<{ eventId: string; customerId: string; subscriptionId: string }>) =>
  db.selectNoFrom((eb) => [
    wasApplied('stripe', p.eventId).as('applied'),
    eb.selectFrom('User').select('id').where('stripeCustomerId', '=', p.customerId).as('userId'),
    jsonObjectFrom(
      eb.selectFrom('Subscription').select(['id', 'status', 'lastEventAt', 'quantity', versionOf('Subscription').as('version')]).where('id', '=', p.subscriptionId),
    ).as('subscription'),
    jsonArrayFrom(
      eb
        .selectFrom('Agent')
        .innerJoin('User', 'User.id', 'Agent.userId')
        .select((agent) => [
          'Agent.id',
          'Agent.status',
          'Agent.suspendedBy',
          versionOf('Agent').as('version'),
          sql<OperationKind[]>`coalesce(${agent
            .selectFrom('Operation')
            .select(sql`array_agg(kind ORDER BY "createdAt", id)`.as('kinds'))
            .whereRef('Operation.agentId', '=', 'Agent.id')
            .where('Operation.status', 'in', ['queued', 'running'])}, '{}')`.as('pending'),
        ])
        .where('User.stripeCustomerId', '=', p.customerId)
        .where('Agent.status', 'not in', GONE)
        .orderBy('Agent.createdAt')
        .orderBy('Agent.id'),
    ).as('agents'),
  ]),
);

export async function readBillingFacts(db: Db, event: { eventId: string; customerId: string; subscriptionId: string }): Promise<BillingFacts> {
  const [row] = await readFacts(db, { eventId: event.eventId, customerId: event.customerId, subscriptionId: event.subscriptionId });
  if (!row) throw new Error('the billing read returned no row');
  return {
    applied: row.applied,
    userId: row.userId,
    subscription: row.subscription && { ...row.subscription, lastEventAt: utcDate(row.subscription.lastEventAt) },
    agents: row.agents,
  };
}

/** The subscription as billing now knows it; a field left undefined (or a null quantity) keeps what is stored. */
export interface SubscriptionMirror {
  id: string;
  userId: string;
  status: SubscriptionStatus;
  lastEventAt: Date;
  currentPeriodEnd?: Date | null;
  quantity: number | null;
}

export interface BillingWrite {
  delivery: Delivery;
  /** The stored subscription the decision read (null: there was none). */
  subscriptionAsRead: Versioned | null;
  /**
   * Every agent the decision read, acted on or not: none may have changed since, and all are
   * written (their requests are decided on the billing state this event changes).
   */
  agentsAsRead: readonly Versioned[];
  mirror: SubscriptionMirror | null;
  audits: AuditInput[];
  /** The operations billing decided, each with its agent as read. */
  operations: { agent: Versioned & { status: AgentStatus }; operation: NewOperation }[];
  /** The operations are destroys: their agents become `destroying`, queued power changes are superseded. */
  destroys: boolean;
}

export type BillingWriteResult = { outcome: 'recorded'; operations: OperationRecord[] } | { outcome: 'duplicate' };

type BillingParameters = {
  agentIds: readonly string[];
  agentVersions: readonly string[];
  subscriptionIds: readonly string[];
  subscriptionVersions: readonly string[];
  eventId: string;
  eventType: string;
  occurredAt: string | null;
  /** The agents that become `destroying`. */
  destroyingIds: readonly string[];
  mirror: boolean;
  /** The subscription was stored already: it is updated, not inserted. */
  mirrorUpdates: boolean;
  subscriptionId: string;
  subscriptionUserId: string;
  subscriptionStatus: SubscriptionStatus;
  lastEventAt: string;
  keepPeriodEnd: boolean;
  currentPeriodEnd: string | null;
  quantity: number | null;
} & OperationColumns &
  AuditColumns &
  DestroyColumns;

const writeBillingEvent = prepare((db, p: Placeholders<BillingParameters>) => {
  const applied = sql<boolean>`EXISTS (SELECT 1 FROM event)`;
  return (
    db
      .with('gate', (qc) => qc.selectNoFrom(sql<boolean>`${unchanged('Agent', p.agentIds, p.agentVersions)} AND ${unchanged('Subscription', p.subscriptionIds, p.subscriptionVersions)}`.as('fresh')))
      .with('event', () => recordDeliveryWhen(db, { provider: 'stripe', eventId: p.eventId, type: p.eventType, occurredAt: p.occurredAt }, sql<boolean>`(SELECT fresh FROM gate)`))
      // Every agent read is written: the operations recorded for some, and for all of them the
      // billing state their own requests (a user's start) are decided on.
      .with('agents', (qc) =>
        qc
          .updateTable('Agent')
          .set({ status: sql`CASE WHEN id = ANY(${p.destroyingIds}::text[]) THEN 'destroying'::"AgentStatus" ELSE status END`, updatedAt: sql`now()` })
          .where('id', '=', sql<string>`ANY(${p.agentIds}::text[])`)
          .where(applied),
      )
      .with('subscription_updated', (qc) =>
        qc
          .updateTable('Subscription')
          .set({
            status: sql`${p.subscriptionStatus}::"SubscriptionStatus"`,
            lastEventAt: sql`${p.lastEventAt}::timestamp(3)`,
            currentPeriodEnd: sql`CASE WHEN ${p.keepPeriodEnd}::boolean THEN "currentPeriodEnd" ELSE ${p.currentPeriodEnd}::timestamp(3) END`,
            quantity: sql`coalesce(${p.quantity}::int, quantity)`,
            updatedAt: sql`now()`,
          })
          .where('id', '=', p.subscriptionId)
          .where(sql<boolean>`${p.mirror}::boolean AND ${p.mirrorUpdates}::boolean AND ${applied}`),
      )
      .with('subscription_inserted', (qc) =>
        qc
          .insertInto('Subscription')
          .columns(['id', 'userId', 'status', 'lastEventAt', 'currentPeriodEnd', 'quantity', 'updatedAt'])
          .expression(
            sql`SELECT ${p.subscriptionId}, ${p.subscriptionUserId}, ${p.subscriptionStatus}::"SubscriptionStatus", ${p.lastEventAt}::timestamp(3), ${p.currentPeriodEnd}::timestamp(3), ${p.quantity}::int, now()
              WHERE ${p.mirror}::boolean AND NOT ${p.mirrorUpdates}::boolean AND ${applied}`,
          ),
      )
      .with('operation', () => insertOperations(db, p, applied))
      .with('audit', () => insertAuditEntries(db, p, applied))
      .with('superseded', () => supersedeQueuedPowerChanges(p, applied))
      .with('superseded_audit', () => auditSuperseded('superseded', p))
      .selectFrom('gate')
      .leftJoin('operation', (join) => join.onTrue())
      .select(['gate.fresh', applied.as('applied')])
      .selectAll('operation')
  );
});

/**
 * Records the event and what billing decided, in one statement; `duplicate` when another
 * delivery of the event was recorded first. Throws StaleRead when the subscription or one of
 * the agents changed since they were read.
 */
export async function recordBillingEvent(db: Db, write: BillingWrite): Promise<BillingWriteResult> {
  const planned = write.operations.map(({ operation }) => planOperation(operation));
  const audits = [...write.audits, ...planned.map((operation) => operation.audit)];
  if (write.destroys) {
    write.operations.forEach(({ agent, operation }, index) =>
      audits.push({ agentId: agent.id, operationId: planned[index]!.row.id, source: operation.source, actor: operation.actor ?? null, action: 'agent.status', fromStatus: agent.status, toStatus: 'destroying' }),
    );
  }
  const agents = versionColumns(write.agentsAsRead);
  const subscription = versionColumns(write.subscriptionAsRead ? [write.subscriptionAsRead] : []);
  const mirror = write.mirror;
  try {
    const rows = await writeBillingEvent(db, {
      agentIds: agents.ids,
      agentVersions: agents.versions,
      subscriptionIds: subscription.ids,
      subscriptionVersions: subscription.versions,
      eventId: write.delivery.eventId,
      eventType: write.delivery.type,
      occurredAt: write.delivery.occurredAt?.toISOString() ?? null,
      destroyingIds: write.destroys ? write.operations.map(({ agent }) => agent.id) : [],
      mirror: mirror !== null,
      mirrorUpdates: write.subscriptionAsRead !== null,
      subscriptionId: mirror?.id ?? '',
      subscriptionUserId: mirror?.userId ?? '',
      subscriptionStatus: mirror?.status ?? 'incomplete',
      lastEventAt: (mirror?.lastEventAt ?? new Date(0)).toISOString(),
      keepPeriodEnd: mirror?.currentPeriodEnd === undefined,
      currentPeriodEnd: mirror?.currentPeriodEnd?.toISOString() ?? null,
      quantity: mirror?.quantity ?? null,
      ...operationColumns(planned),
      ...auditColumns(audits),
      ...destroyColumns(write.destroys ? planned : [], 'stripe'),
    });
    const first = rows[0];
    if (!first?.fresh) throw new StaleRead('the subscription or its agents');
    if (!first.applied) return { outcome: 'duplicate' };
    return { outcome: 'recorded', operations: rows.flatMap(({ fresh: _fresh, applied: _applied, ...operation }) => (operation.id === null ? [] : [operation as OperationRecord])) };
  } catch (error) {
    if (uniqueConstraintOf(error) === 'Subscription_pkey') throw new StaleRead('the subscription');
    throw error;
  }
}
