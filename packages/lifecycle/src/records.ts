// The writes every use case shares: locking an agent row, recording an operation with
// its audit entry, and handing an operation to its queue once the transaction committed.
import type { DbTransaction, Operation, OperationKind, OperationSource, Prisma } from '@agent-lifecycle/db';
import type { JobName } from '@agent-lifecycle/jobs';
import type { Logger } from '@agent-lifecycle/logger';

/** The job that carries out each kind of operation. */
export const JOB_OF_KIND: Record<OperationKind, JobName> = {
  provision: 'agent.provision',
  stop: 'agent.stop',
  start: 'agent.start',
  suspend: 'agent.suspend',
  resume: 'agent.resume',
  destroy: 'agent.destroy',
  rollback: 'provisioning.rollback',
};

export const TERMINAL_OPERATION_STATUSES = ['succeeded', 'failed', 'skipped', 'superseded'] as const;

/** The producer port: BullMQ in production (packages/jobs' JobQueues). */
export interface OperationQueue {
  enqueue(name: JobName, operationId: string, options?: { delayMs?: number }): Promise<void>;
  /** Whether the operation's job is waiting, delayed or running. */
  hasLiveJob(name: JobName, operationId: string): Promise<boolean>;
  /** Puts the operation's job back in line, whether it finished, failed or vanished. */
  requeue(name: JobName, operationId: string): Promise<void>;
}

/** Serialises every change to one agent: concurrent requests queue on the row lock. */
export async function lockAgent(tx: DbTransaction, agentId: string): Promise<void> {
  await tx.$queryRaw`SELECT id FROM "Agent" WHERE id = ${agentId} FOR UPDATE`;
}

/** Locks the user's agent; false when the user has no such agent. */
export async function lockOwnAgent(tx: DbTransaction, userId: string, agentId: string): Promise<boolean> {
  const rows = await tx.$queryRaw<{ id: string }[]>`SELECT id FROM "Agent" WHERE id = ${agentId} AND "userId" = ${userId} FOR UPDATE`;
  return rows.length === 1;
}

export interface AuditInput {
  agentId?: string | null;
  operationId?: string | null;
  source: OperationSource;
  actor?: string | null;
  action: string;
  fromStatus?: string | null;
  toStatus?: string | null;
  details?: Prisma.InputJsonValue;
}

export async function audit(tx: DbTransaction, entry: AuditInput): Promise<void> {
  await tx.auditEntry.create({ data: entry });
}

export interface NewOperation {
  agentId: string;
  kind: OperationKind;
  source: OperationSource;
  sourceRef?: string | null;
  actor?: string | null;
  requestedById?: string | null;
  idempotencyKey?: string | null;
  requestHash?: string | null;
  provisioningJobId?: string | null;
}

/** Creates a queued operation and its audit entry inside the caller's transaction. */
export async function recordOperation(tx: DbTransaction, input: NewOperation): Promise<Operation> {
  const { actor, ...data } = input;
  const operation = await tx.operation.create({ data });
  await audit(tx, {
    agentId: input.agentId,
    operationId: operation.id,
    source: input.source,
    actor: actor ?? null,
    action: `operation.${input.kind}.accepted`,
    details: input.sourceRef ? { sourceRef: input.sourceRef } : undefined,
  });
  return operation;
}

/**
 * Enqueues operations after their transaction committed. A failed enqueue is logged and
 * left to the sweeper, which re-enqueues operations still `queued` with no live job.
 */
export async function enqueueOperations(queue: OperationQueue, logger: Logger, operations: Pick<Operation, 'id' | 'kind'>[]): Promise<void> {
  for (const operation of operations) {
    try {
      await queue.enqueue(JOB_OF_KIND[operation.kind], operation.id);
    } catch (error) {
      logger.warn({ operationId: operation.id, err: error }, 'enqueue failed after commit; the sweeper will re-enqueue it');
    }
  }
}
