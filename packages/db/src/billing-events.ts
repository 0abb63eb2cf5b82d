// Persistence of billing events: one statement reads the customer, the stored subscription
// and the customer's agents with their pending operations; one statement records the event
// (at most once), mirrors the subscription and records the operations billing decided, if the
// subscription and those agents are still as read.
import { sql } from 'kysely';
import { jsonArrayFrom, jsonObjectFrom } from 'kysely/helpers/postgres';
import { uniqueConstraintOf, type Db } from './client';
import type { AgentStatus, OperationKind, SubscriptionStatus, SuspendedBy } from './generated/client';
import { utcDate } from './json-rows';
import { StaleRead, unchanged, versionOf, type Versioned } from './locks';
import {
  auditSuperseded,
  insertAuditEntries,
  insertOperations,
  planOperation,
  supersedeQueuedPowerChanges,
  type AuditInput,
  type NewOperation,
  type OperationRecord,
} from './operations';
import { recordDelivery, wasApplied, type Delivery } from './webhook-events';

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

export async function readBillingFacts(db: Db, event: { eventId: string; customerId: string; subscriptionId: string }): Promise<BillingFacts> {
  const row = await db.kysely
    .selectNoFrom((eb) => [
      wasApplied({ provider: 'stripe', eventId: event.eventId }).as('applied'),
      eb.selectFrom('User').select('id').where('stripeCustomerId', '=', event.customerId).as('userId'),
      jsonObjectFrom(
        eb.selectFrom('Subscription').select(['id', 'status', 'lastEventAt', 'quantity', versionOf('Subscription').as('version')]).where('id', '=', event.subscriptionId),
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
          .where('User.stripeCustomerId', '=', event.customerId)
          .where('Agent.status', 'not in', GONE)
          .orderBy('Agent.createdAt')
          .orderBy('Agent.id'),
      ).as('agents'),
    ])
    .executeTakeFirstOrThrow();
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
  const actedOn = write.operations.map(({ agent }) => agent.id);
  const applied = sql<boolean>`EXISTS (SELECT 1 FROM event)`;
  const mirror = write.mirror;
  try {
    const rows = await db.kysely
      .with('gate', (qc) =>
        qc.selectNoFrom(
          sql<boolean>`${unchanged('Agent', write.agentsAsRead)} AND ${unchanged('Subscription', write.subscriptionAsRead ? [write.subscriptionAsRead] : [])}`.as('fresh'),
        ),
      )
      .with('event', () => recordDelivery(db.kysely, write.delivery, sql<boolean>`(SELECT fresh FROM gate)`))
      // Every agent read is written: the operations recorded for some, and for all of them the
      // billing state their own requests (a user's start) are decided on.
      .with('agents', (qc) =>
        qc
          .updateTable('Agent')
          .set(write.destroys ? { status: sql`CASE WHEN id = ANY(${actedOn}::text[]) THEN 'destroying'::"AgentStatus" ELSE status END`, updatedAt: sql`now()` } : { updatedAt: sql`now()` })
          .where('id', '=', sql<string>`ANY(${write.agentsAsRead.map((agent) => agent.id)}::text[])`)
          .where(applied),
      )
      .with('subscription', (qc) => {
        if (!mirror) return qc.selectNoFrom(sql`1`.as('none'));
        if (write.subscriptionAsRead) {
          return qc
            .updateTable('Subscription')
            .set({
              status: mirror.status,
              lastEventAt: mirror.lastEventAt.toISOString(),
              updatedAt: sql`now()`,
              ...(mirror.currentPeriodEnd !== undefined ? { currentPeriodEnd: mirror.currentPeriodEnd?.toISOString() ?? null } : {}),
              ...(mirror.quantity !== null ? { quantity: mirror.quantity } : {}),
            })
            .where('id', '=', mirror.id)
            .where(applied);
        }
        return qc
          .insertInto('Subscription')
          .columns(['id', 'userId', 'status', 'lastEventAt', 'currentPeriodEnd', 'quantity', 'updatedAt'])
          .expression(
            sql`SELECT ${mirror.id}, ${mirror.userId}, ${mirror.status}::"SubscriptionStatus", ${mirror.lastEventAt.toISOString()}::timestamp(3), ${mirror.currentPeriodEnd?.toISOString() ?? null}::timestamp(3), ${mirror.quantity}::int, now() WHERE ${applied}`,
          );
      })
      .with('operation', () => insertOperations(db.kysely, planned, applied))
      .with('audit', () => insertAuditEntries(db.kysely, audits, applied))
      .with('superseded', () => supersedeQueuedPowerChanges(write.destroys ? planned.map(({ row }) => ({ agentId: row.agentId, destroyId: row.id })) : [], applied))
      .with('superseded_audit', () => auditSuperseded('superseded', 'stripe'))
      .selectFrom('gate')
      .leftJoin('operation', (join) => join.onTrue())
      .select(['gate.fresh', applied.as('applied')])
      .selectAll('operation')
      .execute();
    const first = rows[0];
    if (!first?.fresh) throw new StaleRead('the subscription or its agents');
    if (!first.applied) return { outcome: 'duplicate' };
    return { outcome: 'recorded', operations: rows.flatMap(({ fresh: _fresh, applied: _applied, ...operation }) => (operation.id === null ? [] : [operation as OperationRecord])) };
  } catch (error) {
    if (uniqueConstraintOf(error) === 'Subscription_pkey') throw new StaleRead('the subscription');
    throw error;
  }
}
