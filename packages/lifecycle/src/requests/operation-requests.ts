// What a user may ask of an agent, decided in one place: the state checks behind the
// API's 409s, idempotency keys, destroy superseding pending power changes, and the
// operation + audit row written in one transaction before the job is enqueued.
import { ConflictError, NotFoundError } from '@agent-lifecycle/errors';
import { isUniqueViolation, type Agent, type Db, type DbTransaction, type Operation, type OperationSource } from '@agent-lifecycle/db';
import type { Logger } from '@agent-lifecycle/logger';
import { audit, enqueueOperations, lockOwnAgent, recordOperation, type OperationQueue } from '../records';

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

const SUSPENDED_BILLING = new Set(['past_due', 'unpaid', 'canceled', 'incomplete_expired']);
/** Stop, start, suspend and resume still waiting in line; a destroy makes them pointless. */
const SUPERSEDED_BY_DESTROY = ['stop', 'start', 'suspend', 'resume'] as const;

/** Throws the contract's 409 when the agent's status does not allow the operation. */
export function assertAllowed(agent: Pick<Agent, 'status'>, kind: UserOperationKind): void {
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
async function assertBillingInGoodStanding(tx: DbTransaction, userId: string): Promise<void> {
  const latest = await tx.subscription.findFirst({ where: { userId }, orderBy: { lastEventAt: 'desc' } });
  if (latest && SUSPENDED_BILLING.has(latest.status)) {
    throw new ConflictError('billing_suspended', `Billing for this account is ${latest.status}.`);
  }
}

function scopedKey(idempotency: Idempotency): string {
  return `${idempotency.route} ${idempotency.key}`;
}

/** The operation an earlier request with the same key created, or null for a new key. */
async function replayOf(tx: Db | DbTransaction, userId: string, idempotency: Idempotency | undefined): Promise<Operation | null> {
  if (!idempotency) return null;
  const existing = await tx.operation.findUnique({
    where: { requestedById_idempotencyKey: { requestedById: userId, idempotencyKey: scopedKey(idempotency) } },
  });
  if (existing && existing.requestHash !== idempotency.requestHash) {
    throw new ConflictError('idempotency_key_reused', 'This Idempotency-Key was already used with a different request.');
  }
  return existing;
}

/** Marks queued power changes of the agent superseded by a destroy, with audit entries. */
export async function supersedePendingPowerChanges(tx: DbTransaction, agentId: string, source: OperationSource, destroyId: string): Promise<void> {
  const pending = await tx.operation.findMany({ where: { agentId, status: 'queued', kind: { in: [...SUPERSEDED_BY_DESTROY] } } });
  for (const operation of pending) {
    await tx.operation.update({
      where: { id: operation.id },
      data: { status: 'superseded', finishedAt: new Date(), error: `superseded by destroy ${destroyId}` },
    });
    await audit(tx, { agentId, operationId: operation.id, source, action: `operation.${operation.kind}.superseded`, details: { by: destroyId } });
  }
}

/** Marks an agent destroying and records the destroy operation (inside a transaction holding the agent lock). */
export async function recordDestroy(
  tx: DbTransaction,
  agent: Pick<Agent, 'id' | 'status'>,
  fields: { source: OperationSource; sourceRef?: string; actor?: string; requestedById?: string; idempotencyKey?: string; requestHash?: string },
): Promise<Operation> {
  const operation = await recordOperation(tx, { agentId: agent.id, kind: 'destroy', ...fields });
  await tx.agent.update({ where: { id: agent.id }, data: { status: 'destroying' } });
  await audit(tx, { agentId: agent.id, operationId: operation.id, source: fields.source, actor: fields.actor, action: 'agent.status', fromStatus: agent.status, toStatus: 'destroying' });
  await supersedePendingPowerChanges(tx, agent.id, fields.source, operation.id);
  return operation;
}

export function createOperationRequests({ db, queue, logger }: RequestDeps) {
  /** Runs `work` in a transaction; a racing request with the same key loses the insert and replays. */
  async function withIdempotency<T extends { operation: Operation }>(
    userId: string,
    idempotency: Idempotency | undefined,
    work: (tx: DbTransaction) => Promise<T>,
    replay: (operation: Operation) => Promise<T>,
  ): Promise<Accepted<T>> {
    const earlier = await replayOf(db, userId, idempotency);
    if (earlier) return { value: await replay(earlier), replayed: true };
    try {
      const value = await db.$transaction((tx) => work(tx));
      await enqueueOperations(queue, logger, [value.operation]);
      return { value, replayed: false };
    } catch (error) {
      if (idempotency && isUniqueViolation(error)) {
        const winner = await replayOf(db, userId, idempotency);
        if (winner) return { value: await replay(winner), replayed: true };
      }
      throw error;
    }
  }

  return {
    /** Stop, start or destroy one of the user's agents. */
    async requestOperation(request: OperationRequest): Promise<Accepted<{ operation: Operation }>> {
      const source = request.source ?? 'api';
      const idempotencyFields = request.idempotency
        ? { requestedById: request.userId, idempotencyKey: scopedKey(request.idempotency), requestHash: request.idempotency.requestHash }
        : { requestedById: request.userId };
      return withIdempotency(
        request.userId,
        request.idempotency,
        async (tx) => {
          if (!(await lockOwnAgent(tx, request.userId, request.agentId))) throw new NotFoundError('agent_not_found', `No agent ${request.agentId}.`);
          const agent = await tx.agent.findUniqueOrThrow({ where: { id: request.agentId } });
          assertAllowed(agent, request.kind);
          if (request.kind === 'start') await assertBillingInGoodStanding(tx, request.userId);
          const operation =
            request.kind === 'destroy'
              ? await recordDestroy(tx, agent, { source, actor: request.actor, ...idempotencyFields })
              : await recordOperation(tx, { agentId: agent.id, kind: request.kind, source, actor: request.actor, ...idempotencyFields });
          return { operation };
        },
        async (operation) => ({ operation }),
      );
    },

    /** Creates an agent in `provisioning` with its provisioning job and operation. */
    async createAgent(request: { userId: string; name: string; idempotency?: Idempotency; actor?: string }): Promise<Accepted<{ agent: Agent; operation: Operation }>> {
      return withIdempotency(
        request.userId,
        request.idempotency,
        async (tx) => {
          await assertBillingInGoodStanding(tx, request.userId);
          const agent = await tx.agent.create({ data: { userId: request.userId, name: request.name, status: 'provisioning' } });
          const job = await tx.provisioningJob.create({ data: { agentId: agent.id } });
          const operation = await recordOperation(tx, {
            agentId: agent.id,
            kind: 'provision',
            source: 'api',
            actor: request.actor,
            provisioningJobId: job.id,
            requestedById: request.userId,
            idempotencyKey: request.idempotency ? scopedKey(request.idempotency) : null,
            requestHash: request.idempotency?.requestHash ?? null,
          });
          await audit(tx, { agentId: agent.id, operationId: operation.id, source: 'api', actor: request.actor, action: 'agent.created', toStatus: 'provisioning' });
          return { agent, operation };
        },
        async (operation) => ({ operation, agent: await db.agent.findUniqueOrThrow({ where: { id: operation.agentId } }) }),
      );
    },
  };
}

export type OperationRequests = ReturnType<typeof createOperationRequests>;
