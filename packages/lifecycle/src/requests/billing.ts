// What Stripe billing does to a customer's agents, in one file: cancellation destroys
// every live agent (running or stopped), a failed payment suspends running agents, a paid
// invoice resumes the ones billing suspended. Events apply in `created` order: an event
// older than the stored subscription state changes nothing.
import { isUniqueViolation, type Agent, type Db, type DbTransaction, type Operation, type Subscription, type SubscriptionStatus } from '@agent-lifecycle/db';
import type { Logger } from '@agent-lifecycle/logger';
import { audit, enqueueOperations, lockAgent, recordOperation, type OperationQueue } from '../records';
import { recordDestroy } from './operation-requests';

/** The parts of a verified Stripe event this service reads. */
export interface BillingEvent {
  id: string;
  type: string;
  /** Unix seconds. */
  created: number;
  data: { object: Record<string, unknown> };
}

export type BillingOutcome =
  | 'applied'
  | 'duplicate'
  | 'ignored_type'
  | 'unknown_customer'
  | 'stale'
  | 'subscription_canceled'
  | 'no_subscription';

export interface BillingResult {
  outcome: BillingOutcome;
  operations: Operation[];
}

const HANDLED = new Set([
  'customer.subscription.created',
  'customer.subscription.updated',
  'customer.subscription.deleted',
  'invoice.payment_failed',
  'invoice.paid',
]);
const LIVE_AGENT_STATUSES = ['provisioning', 'active', 'paused', 'suspended', 'failed'] as const;
const DELINQUENT: SubscriptionStatus[] = ['past_due', 'unpaid'];
const SUBSCRIPTION_STATUSES: SubscriptionStatus[] = ['incomplete', 'incomplete_expired', 'trialing', 'active', 'past_due', 'canceled', 'unpaid', 'paused'];

const idOf = (value: unknown): string | undefined => {
  if (typeof value === 'string') return value;
  if (value && typeof value === 'object' && typeof (value as { id?: unknown }).id === 'string') return (value as { id: string }).id;
  return undefined;
};

function customerOf(object: Record<string, unknown>): string | undefined {
  return idOf(object.customer);
}

/** The subscription an invoice belongs to (top-level in older API versions, under `parent` in newer). */
function invoiceSubscriptionOf(invoice: Record<string, unknown>): string | undefined {
  const parent = invoice.parent as { subscription_details?: { subscription?: unknown } } | undefined;
  return idOf(invoice.subscription) ?? idOf(parent?.subscription_details?.subscription);
}

function periodEndOf(subscription: Record<string, unknown>): Date | null {
  const items = subscription.items as { data?: { current_period_end?: unknown }[] } | undefined;
  const seconds = subscription.current_period_end ?? items?.data?.[0]?.current_period_end;
  return typeof seconds === 'number' ? new Date(seconds * 1000) : null;
}

function statusOf(subscription: Record<string, unknown>): SubscriptionStatus {
  const status = subscription.status;
  return SUBSCRIPTION_STATUSES.includes(status as SubscriptionStatus) ? (status as SubscriptionStatus) : 'incomplete';
}

export function createBilling({ db, queue, logger }: { db: Db; queue: OperationQueue; logger: Logger }) {
  async function agentsOf(tx: DbTransaction, userId: string, where: object): Promise<Agent[]> {
    const agents = await tx.agent.findMany({ where: { userId, ...where }, orderBy: { createdAt: 'asc' } });
    for (const agent of agents) await lockAgent(tx, agent.id);
    // Re-read under the locks: a concurrent request may have changed them.
    return tx.agent.findMany({ where: { id: { in: agents.map((agent) => agent.id) }, userId, ...where }, orderBy: { createdAt: 'asc' } });
  }

  /** Customer cancelled: destroy every live agent, running or stopped (a stopped server still bills). */
  async function destroyAll(tx: DbTransaction, userId: string, event: BillingEvent): Promise<Operation[]> {
    const agents = await agentsOf(tx, userId, { status: { in: [...LIVE_AGENT_STATUSES] } });
    const operations: Operation[] = [];
    for (const agent of agents) operations.push(await recordDestroy(tx, agent, { source: 'stripe', sourceRef: event.id }));
    return operations;
  }

  /** Payment failed: suspend every running agent (VM off, data kept). */
  async function suspendRunning(tx: DbTransaction, userId: string, event: BillingEvent): Promise<Operation[]> {
    const agents = await agentsOf(tx, userId, { status: 'active' });
    const operations: Operation[] = [];
    for (const agent of agents) operations.push(await recordOperation(tx, { agentId: agent.id, kind: 'suspend', source: 'stripe', sourceRef: event.id }));
    return operations;
  }

  /** Paid again: resume the agents billing suspended (or is about to), never ones the user paused. */
  async function resumeSuspended(tx: DbTransaction, userId: string, event: BillingEvent): Promise<Operation[]> {
    const agents = await agentsOf(tx, userId, {
      OR: [{ status: 'suspended', suspendedBy: 'billing' }, { status: 'active', operations: { some: { kind: 'suspend', status: { in: ['queued', 'running'] } } } }],
    });
    const operations: Operation[] = [];
    for (const agent of agents) operations.push(await recordOperation(tx, { agentId: agent.id, kind: 'resume', source: 'stripe', sourceRef: event.id }));
    return operations;
  }

  async function mirror(tx: DbTransaction, userId: string, id: string, status: SubscriptionStatus, occurredAt: Date, periodEnd?: Date | null): Promise<void> {
    await tx.subscription.upsert({
      where: { id },
      create: { id, userId, status, lastEventAt: occurredAt, currentPeriodEnd: periodEnd ?? null },
      update: { status, lastEventAt: occurredAt, ...(periodEnd !== undefined ? { currentPeriodEnd: periodEnd } : {}) },
    });
    await audit(tx, { source: 'stripe', action: 'subscription.mirrored', toStatus: status, details: { subscriptionId: id } });
  }

  async function apply(tx: DbTransaction, userId: string, event: BillingEvent): Promise<BillingResult> {
    const object = event.data.object;
    const occurredAt = new Date(event.created * 1000);
    const isSubscriptionEvent = event.type.startsWith('customer.subscription.');
    const subscriptionId = isSubscriptionEvent ? idOf(object.id) : invoiceSubscriptionOf(object);
    if (!subscriptionId) return { outcome: 'no_subscription', operations: [] };
    const stored: Subscription | null = await tx.subscription.findUnique({ where: { id: subscriptionId } });

    if (event.type === 'customer.subscription.deleted') {
      // Cancellation is final whatever the order it arrives in.
      await mirror(tx, userId, subscriptionId, 'canceled', occurredAt, periodEndOf(object));
      return { outcome: 'applied', operations: await destroyAll(tx, userId, event) };
    }
    if (stored?.status === 'canceled') return { outcome: 'subscription_canceled', operations: [] };
    if (stored && stored.lastEventAt > occurredAt) return { outcome: 'stale', operations: [] };

    switch (event.type) {
      case 'invoice.payment_failed':
        await mirror(tx, userId, subscriptionId, 'past_due', occurredAt);
        return { outcome: 'applied', operations: await suspendRunning(tx, userId, event) };
      case 'invoice.paid':
        await mirror(tx, userId, subscriptionId, 'active', occurredAt);
        return { outcome: 'applied', operations: await resumeSuspended(tx, userId, event) };
      default: {
        const status = statusOf(object);
        await mirror(tx, userId, subscriptionId, status, occurredAt, periodEndOf(object));
        const backToActive = status === 'active' && stored !== null && DELINQUENT.includes(stored.status);
        return { outcome: 'applied', operations: backToActive ? await resumeSuspended(tx, userId, event) : [] };
      }
    }
  }

  return {
    /** Applies a verified Stripe event at most once (its id is recorded in the same transaction). */
    async applyStripeEvent(event: BillingEvent): Promise<BillingResult> {
      const log = logger.child({ stripeEventId: event.id, type: event.type });
      if (!HANDLED.has(event.type)) {
        log.debug('ignored Stripe event type');
        return { outcome: 'ignored_type', operations: [] };
      }
      let result: BillingResult;
      try {
        result = await db.$transaction(async (tx) => {
          await tx.webhookEvent.create({ data: { provider: 'stripe', eventId: event.id, type: event.type, occurredAt: new Date(event.created * 1000) } });
          const customerId = customerOf(event.data.object);
          const user = customerId ? await tx.user.findUnique({ where: { stripeCustomerId: customerId } }) : null;
          if (!user) return { outcome: 'unknown_customer' as const, operations: [] };
          return apply(tx, user.id, event);
        });
      } catch (error) {
        if (isUniqueViolation(error)) return { outcome: 'duplicate', operations: [] };
        throw error;
      }
      if (result.outcome === 'unknown_customer') log.warn({ customer: customerOf(event.data.object) }, 'Stripe event for an unknown customer');
      else log.info({ outcome: result.outcome, operations: result.operations.length }, 'Stripe event applied');
      await enqueueOperations(queue, logger, result.operations);
      return result;
    },
  };
}

export type Billing = ReturnType<typeof createBilling>;
