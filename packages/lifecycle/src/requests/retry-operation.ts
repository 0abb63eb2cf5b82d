// An operator's retry of a failed operation: the same operation (and so the same job id
// and stored steps) goes back in line and resumes where it stopped.
import { ConflictError, NotFoundError } from '@agent-lifecycle/errors';
import { findOperation, requeueFailedOperation, type Db, type Operation } from '@agent-lifecycle/db';
import { JOB_OF_KIND, type OperationQueue } from '../records';

export async function retryOperation(deps: { db: Db; queue: OperationQueue }, operationId: string, actor: string): Promise<Operation> {
  const found = await findOperation(deps.db, operationId);
  if (!found) throw new NotFoundError('operation_not_found', `No operation ${operationId}.`);
  const notFailed = (status: string) => new ConflictError('operation_not_failed', `Operation ${operationId} is ${status}; only a failed operation can be retried.`);
  if (found.status !== 'failed') throw notFailed(found.status);
  // A failed provisioning run is rolled back, not dispatched again: create a new agent instead.
  if (found.kind === 'provision') throw new ConflictError('operation_not_retryable', `Operation ${operationId} is a provisioning run; failed runs are rolled back, create a new agent instead.`);
  const operation = await requeueFailedOperation(deps.db, found, actor);
  if (!operation) throw notFailed('no longer failed');
  await deps.queue.requeue(JOB_OF_KIND[operation.kind], operation.id);
  return operation;
}
