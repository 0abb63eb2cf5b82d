// What a user may ask of an agent, decided in one place: the state checks behind the API's
// 409s, billing standing, idempotency keys (a replay answers the earlier operation, a reuse
// for another request is refused), and destroy superseding pending power changes. Persistence
// (one read, one guarded write, then the enqueue) is packages/db's accept helper.
import { ConflictError, NotFoundError } from '@agent-lifecycle/errors';
import {
  accept,
  readAgentRequest,
  recordAgentOperation,
  recordNewAgent,
  type Acceptance,
  type Db,
  type OperationRecord,
  type OperationSource,
  type SubscriptionStatus,
} from '@agent-lifecycle/db';
import type { Logger } from '@agent-lifecycle/logger';
import { acceptDeps, type OperationQueue } from '../records';

export interface RequestDeps {
  db: Db;
  queue: OperationQueue;
  logger: Logger;
}

export type UserOperationKind = 'stop' | 'start' | 'destroy';

/** An Idempotency-Key, scoped to the route it was sent to, with a hash of the whole request. */
export interface Idempotency {
  key: string;
  route: string;
  requestHash: string;
}

export interface OperationRequest {
  userId: string;
  agentId: string;
  kind: UserOperationKind;
  idempotency?: Idempotency;
  source?: OperationSource;
  actor?: string;
}

export interface Accepted<T> {
  value: T;
  /** True when an Idempotency-Key replayed an earlier request. */
  replayed: boolean;
}

/** An agent as users see it right after a request. */
export interface RequestedAgent {
  id: string;
  name: string;
  status: string;
  suspendedBy: string | null;
  createdAt: Date;
}

/** Billing states in which new agents and user starts wait: the customer is behind or gone. */
export const BILLING_FORBIDS_RUNNING: readonly SubscriptionStatus[] = ['past_due', 'unpaid', 'canceled', 'incomplete_expired'];

/** Whether billing lets an agent run (start, resume, create): the engine checks it again when a start or resume runs. */
export function billingAllowsRunning(billing: SubscriptionStatus | null): boolean {
  return billing === null || !BILLING_FORBIDS_RUNNING.includes(billing);
}

/** Throws the contract's 409 when the agent's status does not allow the operation. */
export function assertAllowed(agent: { status: string }, kind: UserOperationKind): void {
  switch (kind) {
    case 'stop':
      if (agent.status !== 'active') throw new ConflictError('agent_not_running', `The agent is ${agent.status}; only an active agent can be stopped.`);
      return;
    case 'start':
      if (agent.status === 'suspended') throw new ConflictError('billing_suspended', 'The agent is suspended for billing; it resumes when the invoice is paid.');
      if (agent.status !== 'paused') throw new ConflictError('agent_not_paused', `The agent is ${agent.status}; only a paused agent can be started.`);
      return;
    case 'destroy':
      if (agent.status === 'destroyed' || agent.status === 'destroying') throw new ConflictError('agent_destroyed', 'The agent is already destroyed or being destroyed.');
      return;
  }
}

/** New agents and user starts wait until billing is in good standing again. */
function assertBillingInGoodStanding(billing: SubscriptionStatus | null): void {
  if (!billingAllowsRunning(billing)) {
    throw new ConflictError('billing_suspended', `Billing for this account is ${billing}.`);
  }
}

function scopedKey(idempotency: Idempotency | undefined): string | undefined {
  return idempotency && `${idempotency.route} ${idempotency.key}`;
}

/** The earlier operation of the same key and request; a reuse of the key for another request is refused. */
function replayOf(earlier: OperationRecord | null, idempotency: Idempotency | undefined): OperationRecord | null {
  if (!earlier || !idempotency) return null;
  if (earlier.requestHash !== idempotency.requestHash) {
    throw new ConflictError('idempotency_key_reused', 'This Idempotency-Key was already used with a different request.');
  }
  return earlier;
}

/** A replay answers the earlier operation and, while it is still queued, enqueues it again (a no-op when its job exists). */
function replayed<T>(value: T, operation: OperationRecord): Acceptance<Accepted<T>> {
  return { value: { value, replayed: true }, enqueue: operation.status === 'queued' ? [operation] : [] };
}

export function createOperationRequests({ db, queue, logger }: RequestDeps) {
  const deps = acceptDeps(queue, logger);

  return {
    /** Stop, start or destroy one of the user's agents. */
    requestOperation(request: OperationRequest): Promise<Accepted<{ operation: OperationRecord }>> {
      const { userId, agentId, kind, idempotency } = request;
      const idempotencyKey = scopedKey(idempotency);
      return accept(deps, async () => {
        const facts = await readAgentRequest(db, { userId, agentId, idempotencyKey });
        const earlier = replayOf(facts.earlier, idempotency);
        if (earlier) return replayed({ operation: earlier }, earlier);
        if (!facts.agent) throw new NotFoundError('agent_not_found', `No agent ${agentId}.`);
        assertAllowed(facts.agent, kind);
        if (kind === 'start') assertBillingInGoodStanding(facts.billing);
        const operation = await recordAgentOperation(db, {
          agent: facts.agent,
          operation: { agentId, kind, source: request.source ?? 'api', actor: request.actor, requestedById: userId, idempotencyKey, requestHash: idempotency?.requestHash },
          destroys: kind === 'destroy',
        });
        return { value: { value: { operation }, replayed: false }, enqueue: [operation] };
      });
    },

    /** Creates an agent in `provisioning` with its provisioning job and operation. */
    createAgent(request: { userId: string; name: string; idempotency?: Idempotency; actor?: string }): Promise<Accepted<{ agent: RequestedAgent; operation: OperationRecord }>> {
      const { userId, idempotency } = request;
      const idempotencyKey = scopedKey(idempotency);
      return accept<Accepted<{ agent: RequestedAgent; operation: OperationRecord }>>(deps, async () => {
        const facts = await readAgentRequest(db, { userId, idempotencyKey });
        const earlier = replayOf(facts.earlier, idempotency);
        if (earlier) {
          // The operation's agent exists (a foreign key) and is the user's (the key is scoped to them).
          if (!facts.agent) throw new Error(`Operation ${earlier.id} has no agent of user ${userId}.`);
          return replayed({ agent: facts.agent, operation: earlier }, earlier);
        }
        assertBillingInGoodStanding(facts.billing);
        const created = await recordNewAgent(db, { userId, name: request.name, actor: request.actor, idempotencyKey, requestHash: idempotency?.requestHash });
        return { value: { value: created, replayed: false }, enqueue: [created.operation] };
      });
    },
  };
}

export type OperationRequests = ReturnType<typeof createOperationRequests>;
