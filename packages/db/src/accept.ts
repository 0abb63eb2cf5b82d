// The one way a request becomes work: an attempt reads what its decision needs, decides, and
// writes the decision in one guarded statement (dedupe, check, operation and audit together,
// so the statement is the transaction). When a concurrent request changed what was read or
// took the same key first, the attempt runs again on fresh facts. Once committed, the
// operations are enqueued within a short bound: past it the request is answered anyway (202
// with the recorded operation), and the sweeper enqueues whatever is left `queued`.
import { RetryableError } from '@agent-lifecycle/errors';
import type { OperationKind } from './generated/client';
import { StaleRead } from './locks';

/** How long an enqueue after commit may hold the answer (Redis down must not hang a request). */
export const ENQUEUE_BOUND_MS = 1_000;
/** Attempts before a request that keeps losing races gives up (each loss means another request won). */
const MAX_ATTEMPTS = 8;

export interface Acceptance<T> {
  value: T;
  /** Committed operations to hand to their queues (a replayed one still queued included). */
  enqueue: readonly { id: string; kind: OperationKind }[];
}

export interface AcceptDeps {
  enqueue(operation: { id: string; kind: OperationKind }): Promise<void>;
  log: { warn(details: object, message: string): void };
  enqueueBoundMs?: number;
}

export async function accept<T>(deps: AcceptDeps, attempt: () => Promise<Acceptance<T>>): Promise<T> {
  for (let round = 1; ; round += 1) {
    let accepted: Acceptance<T>;
    try {
      accepted = await attempt();
    } catch (error) {
      if (!(error instanceof StaleRead)) throw error;
      if (round < MAX_ATTEMPTS) continue;
      throw new RetryableError('contention', `${error.message}, ${MAX_ATTEMPTS} times in a row; try again shortly`, 1_000);
    }
    await enqueueWithinBound(deps, accepted.enqueue);
    return accepted.value;
  }
}

/**
 * Enqueues committed operations, waiting at most the bound. An enqueue that fails or is late is
 * logged; the operation stays `queued` and the sweeper enqueues it (the job id is the operation
 * id, so a late enqueue that lands after all does not make a second job).
 */
export async function enqueueWithinBound(deps: AcceptDeps, operations: readonly { id: string; kind: OperationKind }[]): Promise<void> {
  if (operations.length === 0) return;
  const boundMs = deps.enqueueBoundMs ?? ENQUEUE_BOUND_MS;
  const all = Promise.all(
    operations.map((operation) =>
      deps.enqueue(operation).catch((error: unknown) => {
        deps.log.warn({ operationId: operation.id, err: error }, 'enqueue failed after commit; the sweeper will enqueue it');
      }),
    ),
  );
  let timer: NodeJS.Timeout | undefined;
  const late = new Promise<'late'>((resolve) => {
    timer = setTimeout(() => resolve('late'), boundMs);
    // A bound never keeps a process alive that has nothing else to do.
    timer.unref();
  });
  const outcome = await Promise.race([all, late]);
  clearTimeout(timer);
  if (outcome === 'late') {
    deps.log.warn({ operationIds: operations.map((operation) => operation.id), boundMs }, 'enqueue still pending after commit; answering now, the sweeper will enqueue what is left');
  }
}
