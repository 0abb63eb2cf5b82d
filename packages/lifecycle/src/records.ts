// What every use case shares about handing work on: which job carries out each kind of
// operation, the producer port, and enqueueing committed operations within a short bound.
// Recording operations and their audit entries lives in packages/db (re-exported here for
// the engine, which records inside its own Prisma transactions).
import { enqueueWithinBound, type AcceptDeps, type OperationKind } from '@agent-lifecycle/db';
import type { JobName } from '@agent-lifecycle/jobs';
import type { Logger } from '@agent-lifecycle/logger';

export { audit, recordOperation, TERMINAL_OPERATION_STATUSES } from '@agent-lifecycle/db';
export type { AuditInput, NewOperation } from '@agent-lifecycle/db';

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

/** The producer port: BullMQ in production (packages/jobs' JobQueues). */
export interface OperationQueue {
  enqueue(name: JobName, operationId: string, options?: { delayMs?: number }): Promise<void>;
  /** Whether the operation's job is waiting, delayed or running. */
  hasLiveJob(name: JobName, operationId: string): Promise<boolean>;
  /** Puts the operation's job back in line, whether it finished, failed or vanished. */
  requeue(name: JobName, operationId: string): Promise<void>;
}

/** How the accept helper hands committed operations to their queues. */
export function acceptDeps(queue: OperationQueue, logger: Logger): AcceptDeps {
  return { enqueue: (operation) => queue.enqueue(JOB_OF_KIND[operation.kind], operation.id), log: logger };
}

/**
 * Enqueues operations after their transaction committed, within the short bound. A failed or
 * late enqueue is logged and left to the sweeper, which re-enqueues operations still `queued`.
 */
export async function enqueueOperations(queue: OperationQueue, logger: Logger, operations: readonly { id: string; kind: OperationKind }[]): Promise<void> {
  await enqueueWithinBound(acceptDeps(queue, logger), operations);
}
