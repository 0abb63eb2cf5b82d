// What billing does to a customer's agents, in one file. Cancellation destroys every live
// agent (running or stopped: a stopped server still bills). A failed payment suspends every
// agent that is running or about to be (a start or resume still pending), so billing wins
// over a user's start. A paid invoice resumes the agents billing suspended or is about to.
// Events apply in time order: one older than the stored subscription state changes nothing.
import {
  accept,
  readBillingFacts,
  recordBillingEvent,
  type BillingAgent,
  type BillingFacts,
  type Db,
  type OperationKind,
  type OperationRecord,
  type SubscriptionMirror,
  type SubscriptionStatus,
} from '@agent-lifecycle/db';
import type { Logger } from '@agent-lifecycle/logger';
import { acceptDeps, type OperationQueue } from '../records';

interface BillingEventBase {
  /** The provider's event id: an event acts at most once. */
  eventId: string;
  customerId: string;
  subscriptionId: string;
  /** When the provider says it happened: older events never override newer state. */
  occurredAt: Date;
  /** The sum of the subscription's item quantities; null when the event does not say. */
  quantity: number | null;
}

/** A billing event, in our words (the ingress translates Stripe's). */
export type BillingEvent =
  | (BillingEventBase & { kind: 'cancelled'; periodEnd: Date | null })
  | (BillingEventBase & { kind: 'payment_failed' })
  | (BillingEventBase & { kind: 'paid' })
  | (BillingEventBase & { kind: 'changed'; status: SubscriptionStatus; periodEnd: Date | null });

export type BillingOutcome = 'applied' | 'duplicate' | 'unknown_customer' | 'stale' | 'subscription_canceled';

export interface BillingResult {
  outcome: BillingOutcome;
  operations: OperationRecord[];
}

/** Subscription states in which a customer's agents must not run. */
const DELINQUENT: readonly SubscriptionStatus[] = ['past_due', 'unpaid'];
const POWER_CHANGES: readonly OperationKind[] = ['stop', 'start', 'suspend', 'resume'];

/** The power change the agent will have gone through last once its pending operations ran. */
const lastPowerChange = (agent: BillingAgent) => agent.pending.filter((kind) => POWER_CHANGES.includes(kind)).at(-1);

/** Running now and left running, or a start or resume pending: a failed payment suspends it. */
function endsRunning(agent: BillingAgent): boolean {
  if (agent.status === 'provisioning') return false;
  const last = lastPowerChange(agent);
  return last === undefined ? agent.status === 'active' : last === 'start' || last === 'resume';
}

/** Suspended by billing, or about to be: a paid invoice resumes it (never an agent the user paused). */
function endsSuspendedByBilling(agent: BillingAgent): boolean {
  const last = lastPowerChange(agent);
  return last === undefined ? agent.status === 'suspended' && agent.suspendedBy === 'billing' : last === 'suspend';
}

interface Decision {
  outcome: BillingOutcome;
  mirror?: { status: SubscriptionStatus; periodEnd?: Date | null };
  act?: { kind: 'destroy' | 'suspend' | 'resume'; agents: BillingAgent[] };
}

/** What the event does, given what is stored. */
function decide(event: BillingEvent, facts: BillingFacts): Decision {
  const stored = facts.subscription;
  if (event.kind === 'cancelled') {
    // Cancellation is final whatever order it arrives in.
    return { outcome: 'applied', mirror: { status: 'canceled', periodEnd: event.periodEnd }, act: { kind: 'destroy', agents: facts.agents } };
  }
  if (stored?.status === 'canceled') return { outcome: 'subscription_canceled' };
  if (stored && stored.lastEventAt > event.occurredAt) return { outcome: 'stale' };
  const resume = { kind: 'resume' as const, agents: facts.agents.filter(endsSuspendedByBilling) };
  switch (event.kind) {
    case 'payment_failed':
      return { outcome: 'applied', mirror: { status: 'past_due' }, act: { kind: 'suspend', agents: facts.agents.filter(endsRunning) } };
    case 'paid':
      return { outcome: 'applied', mirror: { status: 'active' }, act: resume };
    case 'changed': {
      const backToActive = event.status === 'active' && stored !== null && DELINQUENT.includes(stored.status);
      return { outcome: 'applied', mirror: { status: event.status, periodEnd: event.periodEnd }, act: backToActive ? resume : undefined };
    }
  }
}

export function createBilling({ db, queue, logger }: { db: Db; queue: OperationQueue; logger: Logger }) {
  const deps = acceptDeps(queue, logger);

  return {
    /** Applies a verified billing event at most once. */
    async applyBillingEvent(event: BillingEvent): Promise<BillingResult> {
      const log = logger.child({ billingEventId: event.eventId, kind: event.kind });
      const result = await accept(deps, async () => {
        const facts = await readBillingFacts(db, event);
        if (facts.applied) return { value: { outcome: 'duplicate' as const, operations: [] }, enqueue: [] };
        const decision: Decision = facts.userId === null ? { outcome: 'unknown_customer' } : decide(event, facts);
        const mirror: SubscriptionMirror | null =
          decision.mirror && facts.userId !== null
            ? { id: event.subscriptionId, userId: facts.userId, status: decision.mirror.status, lastEventAt: event.occurredAt, currentPeriodEnd: decision.mirror.periodEnd, quantity: event.quantity }
            : null;
        const act = decision.act;
        const written = await recordBillingEvent(db, {
          delivery: { provider: 'stripe', eventId: event.eventId, type: `billing.${event.kind}`, occurredAt: event.occurredAt },
          // Agents left alone were decided on too: a start recorded meanwhile must be seen.
          agentsAsRead: mirror ? facts.agents : [],
          subscriptionAsRead: facts.subscription,
          mirror,
          audits: mirror ? [{ source: 'stripe', action: 'subscription.mirrored', toStatus: mirror.status, details: { subscriptionId: mirror.id } }] : [],
          operations: (act?.agents ?? []).map((agent) => ({ agent, operation: { agentId: agent.id, kind: act!.kind, source: 'stripe', sourceRef: event.eventId } })),
          destroys: act?.kind === 'destroy',
        });
        if (written.outcome === 'duplicate') return { value: { outcome: 'duplicate' as const, operations: [] }, enqueue: [] };
        return { value: { outcome: decision.outcome, operations: written.operations }, enqueue: written.operations };
      });
      if (result.outcome === 'unknown_customer') log.warn({ customer: event.customerId }, 'billing event for an unknown customer');
      else log.info({ outcome: result.outcome, operations: result.operations.length }, 'billing event applied');
      return result;
    },
  };
}

export type Billing = ReturnType<typeof createBilling>;
