// Runs one job of an operation, safely under retries, crashes and concurrency: operations
// of an agent run one at a time in creation order (a lease in PostgreSQL, renewed while the
// job runs, guards against two workers), every step resumes from what is stored, a job that
// waits on the cloud steps aside without holding its slot, and failures end in a clear status.
import { randomUUID } from 'node:crypto';
import {
  endOperationRun,
  findEarlierOpenOperation,
  findNextOpenOperation,
  findOperationTurn,
  loadOperationRun,
  markOperationRunning,
  recordAttemptError,
  releaseAgentLease,
  renewAgentLease,
  takeAgentTurn,
  type Operation,
  type OperationEnd,
  type OperationRun,
} from '@agent-lifecycle/db';
import { PermanentError, RateLimitedError, describeError, isLifecycleError } from '@agent-lifecycle/errors';
import { JOB_OF_KIND, TERMINAL_OPERATION_STATUSES } from '../records';
import { StepAside, type JobContext } from './job-context';
import { reconcile } from './reconciler';
import type { EngineDeps, Finish, Run, UseCase } from './run';
import { Steps } from './steps';
import { sweep } from './sweeper';

const isTerminal = (status: string) => (TERMINAL_OPERATION_STATUSES as readonly string[]).includes(status);

export function createEngine(deps: EngineDeps) {
  const { db, clock, logger, settings, queue, observer } = deps;
  const leaseUntil = () => new Date(clock.now().getTime() + settings.leaseMs);

  /** Takes the agent for this operation, or steps aside (without failing) while it is not its turn. */
  async function takeTurn(operation: Pick<Operation, 'id' | 'agentId' | 'createdAt'>, token: string): Promise<void> {
    if (await takeAgentTurn(db, operation, token, clock.now(), leaseUntil())) return;
    const earlier = await findEarlierOpenOperation(db, operation);
    const reason = earlier ? `waiting for earlier ${earlier.kind} operation ${earlier.id} on agent ${operation.agentId}` : `agent ${operation.agentId} is held by another worker`;
    throw new StepAside(new Date(clock.now().getTime() + settings.turnDelayMs), reason);
  }

  /** Ends the operation; the next one of the agent, stepping aside for its turn, may go at once. */
  async function end(run: OperationRun, result: OperationEnd, leaseToken: string): Promise<void> {
    await endOperationRun(db, run, result, leaseToken, clock.now());
    observer?.operationEnded(run.kind, result.status);
    const next = await findNextOpenOperation(db, run);
    if (next) await queue.wake(JOB_OF_KIND[next.kind], next.id).catch((error: unknown) => logger.warn({ operationId: next.id, err: error }, 'could not wake the next operation'));
  }

  /** Records a failed attempt; the last attempt (or a permanent error) fails the operation. */
  async function recordFailure(operation: OperationRun, error: unknown, job: JobContext, leaseToken: string): Promise<void> {
    const message = describeError(error);
    const code = isLifecycleError(error) ? error.code : 'internal_error';
    const permanent = isLifecycleError(error) && error.kind === 'permanent';
    // A rate limit pauses the queue without using up an attempt, so it is never the last one.
    const final = permanent || (!(error instanceof RateLimitedError) && job.attempt >= job.maxAttempts);
    if (final) await end(operation, { status: 'failed', reason: message, code }, leaseToken);
    else await recordAttemptError(db, operation.id, { message, code });
  }

  return {
    /** Runs one job of the operation with its use case; returns a summary, or throws for the worker to handle. */
    async runOperation(operationId: string, job: JobContext, useCase: UseCase): Promise<string> {
      const log = logger.child({ operationId, job: job.name, attempt: job.attempt });
      const queued = await findOperationTurn(db, operationId);
      if (!queued) throw new PermanentError('operation_not_found', `Operation ${operationId} does not exist.`);
      if (isTerminal(queued.status)) {
        if (queued.status === 'superseded') observer?.operationEnded(queued.kind, 'superseded');
        return `already ${queued.status}`;
      }
      const token = `${queued.id}:${randomUUID()}`;
      await takeTurn(queued, token);
      const heartbeat = setInterval(() => {
        renewAgentLease(db, queued.agentId, token, leaseUntil()).catch((error: unknown) => log.warn({ err: error }, 'could not renew the agent lease'));
      }, Math.max(settings.leaseMs / 3, 50)).unref();
      let operation: OperationRun | undefined;
      try {
        // Read under the lease: the operation before this one may have just changed the agent.
        operation = (await loadOperationRun(db, operationId))!;
        // Only a live operation starts: a destroy may have superseded it since it was read.
        if (!(await markOperationRunning(db, operation, job.attempt, clock.now()))) {
          observer?.operationEnded(operation.kind, 'superseded');
          return 'finished by another request (superseded) before it started';
        }
        const current = operation;
        const run: Run = {
          operation,
          steps: new Steps(db, clock, operation.id, operation.steps),
          job,
          deps,
          log,
          async finish(result: Finish) {
            await end(current, result, token);
            return result.reason ? `${result.status}: ${result.reason}` : result.status;
          },
        };
        const summary = await useCase(run);
        log.info({ summary }, 'operation job done');
        // The last line operators see in Bull Board; the operation has ended whatever becomes of it.
        await job.report(100, `${summary}; ${run.steps.describe() || 'no cloud step'}`).catch((error: unknown) => log.warn({ err: error }, 'could not report the end to the job'));
        return summary;
      } catch (error) {
        if (error instanceof StepAside) {
          log.debug({ until: error.until, reason: error.reason }, 'stepping aside');
        } else {
          log.warn({ err: error, code: isLifecycleError(error) ? error.code : undefined }, 'operation job failed');
          // Not even loaded (the database away): BullMQ retries, nothing to record.
          if (operation) await recordFailure(operation, error, job, token);
        }
        throw error;
      } finally {
        clearInterval(heartbeat);
        await releaseAgentLease(db, queued.agentId, token);
      }
    },

    /** The sweeper's pass: lapsed leases, lost jobs, silent provisioning runs, failed destroys. */
    sweep: () => sweep(deps),

    /** The reconciler's pass: orphaned servers and devices, power drift, agents running against billing. */
    reconcile: () => reconcile(deps),
  };
}

export type Engine = ReturnType<typeof createEngine>;
