// An operator's retry of a failed operation: the same operation (and so the same job id
// and stored steps) goes back in line and resumes where it stopped.
import { ConflictError, NotFoundError } from '@agent-lifecycle/errors';
import type { Db, Operation } from '@agent-lifecycle/db';
import { audit, JOB_OF_KIND, type OperationQueue } from '../records';

export async function retryOperation(deps: { db: Db; queue: OperationQueue }, operationId: string, actor: string): Promise<Operation> {
  const operation = await deps.db.$transaction(async (tx) => {
    const found = await tx.operation.findUnique({ where: { id: operationId } });
    if (!found) throw new NotFoundError('operation_not_found', `No operation ${operationId}.`);
    if (found.status !== 'failed') throw new ConflictError('operation_not_failed', `Operation ${operationId} is ${found.status}; only a failed operation can be retried.`);
    // A failed provisioning run is rolled back, not dispatched again: create a new agent instead.
    if (found.kind === 'provision') throw new ConflictError('operation_not_retryable', `Operation ${operationId} is a provisioning run; failed runs are rolled back, create a new agent instead.`);
    const updated = await tx.operation.update({ where: { id: operationId }, data: { status: 'queued', error: null, errorCode: null, finishedAt: null } });
    await audit(tx, { agentId: found.agentId, operationId, source: 'operator', actor, action: `operation.${found.kind}.retried` });
    return updated;
  });
  await deps.queue.requeue(JOB_OF_KIND[operation.kind], operation.id);
  return operation;
}
