// Runs one job of an operation, safely under retries, crashes and concurrency: operations
// of an agent run one at a time in creation order (a lease in PostgreSQL guards against two
// workers), every step resumes from what is stored, and failures end in a clear status.
import { randomUUID } from 'node:crypto';
import { PermanentError, RateLimitedError, describeError, isLifecycleError } from '@agent-lifecycle/errors';
import type { JobName } from '@agent-lifecycle/jobs';
import { audit, TERMINAL_OPERATION_STATUSES } from '../records';
import type { JobContext } from './job-context';
import { WaitForTurn } from './job-context';
import { powerOff, powerOn } from './power';
import { dispatchProvisioning } from './provision';
import { applyFinish, operationInclude, type EngineDeps, type LoadedOperation, type Run } from './run';
import { Steps } from './steps';
import { deleteServers, removeDevices } from './teardown';
import { reconcile } from './reconciler';
import { sweep } from './sweeper';

type OperationJob = Exclude<JobName, 'operations.sweep' | 'cloud.reconcile'>;

const USE_CASES: Record<OperationJob, (run: Run) => Promise<string>> = {
  'agent.stop': powerOff,
  'agent.suspend': powerOff,
  'agent.start': powerOn,
  'agent.resume': powerOn,
  'agent.destroy': deleteServers,
  'provisioning.rollback': deleteServers,
  'device.remove': removeDevices,
  'agent.provision': dispatchProvisioning,
};

const isTerminal = (status: string) => (TERMINAL_OPERATION_STATUSES as readonly string[]).includes(status);

export function createEngine(deps: EngineDeps) {
  const { db, clock, logger, settings } = deps;

  /** Waits (without failing) while an earlier operation of the same agent is unfinished. */
  async function assertTurn(operation: LoadedOperation): Promise<void> {
    const earlier = await db.operation.findFirst({
      where: {
        agentId: operation.agentId,
        id: { not: operation.id },
        status: { in: ['queued', 'running'] },
        OR: [{ createdAt: { lt: operation.createdAt } }, { createdAt: operation.createdAt, id: { lt: operation.id } }],
      },
      orderBy: { createdAt: 'asc' },
    });
    if (earlier) throw new WaitForTurn(settings.turnDelayMs, `waiting for earlier ${earlier.kind} operation ${earlier.id} on agent ${operation.agentId}`);
  }

  async function acquireLease(agentId: string, token: string): Promise<boolean> {
    const now = clock.now();
    const { count } = await db.agent.updateMany({
      where: { id: agentId, OR: [{ leaseOperationId: null }, { leaseExpiresAt: { lt: now } }] },
      data: { leaseOperationId: token, leaseExpiresAt: new Date(now.getTime() + settings.leaseMs) },
    });
    return count === 1;
  }

  async function renewLease(agentId: string, token: string): Promise<void> {
    await db.agent.updateMany({ where: { id: agentId, leaseOperationId: token }, data: { leaseExpiresAt: new Date(clock.now().getTime() + settings.leaseMs) } });
  }

  async function releaseLease(agentId: string, token: string): Promise<void> {
    await db.agent.updateMany({ where: { id: agentId, leaseOperationId: token }, data: { leaseOperationId: null, leaseExpiresAt: null } });
  }

  /** Records a failed attempt; the last attempt (or a permanent error) fails the operation. */
  async function recordFailure(operation: LoadedOperation, error: unknown, job: JobContext, leaseToken: string): Promise<void> {
    const message = describeError(error);
    const code = isLifecycleError(error) ? error.code : 'internal_error';
    const permanent = isLifecycleError(error) && error.kind === 'permanent';
    // A rate limit pauses the queue without using up an attempt, so it is never the last one.
    const final = permanent || (!(error instanceof RateLimitedError) && job.attempt >= job.maxAttempts);
    if (!final) {
      await db.operation.update({ where: { id: operation.id }, data: { error: message, errorCode: code } });
      return;
    }
    await db.$transaction(async (tx) => {
      await tx.operation.update({ where: { id: operation.id }, data: { status: 'failed', error: message, errorCode: code, finishedAt: new Date() } });
      await audit(tx, { agentId: operation.agentId, operationId: operation.id, source: operation.source, action: `operation.${operation.kind}.failed`, details: { error: message, code } });
      await tx.agent.updateMany({ where: { id: operation.agentId, leaseOperationId: leaseToken }, data: { leaseOperationId: null, leaseExpiresAt: null } });
    });
  }

  return {
    /** Runs the job `name` for an operation; returns a summary, or throws for BullMQ to handle. */
    async run(name: OperationJob, operationId: string, job: JobContext): Promise<string> {
      const log = logger.child({ operationId, job: name, attempt: job.attempt });
      const load = () => db.operation.findUnique({ where: { id: operationId }, include: operationInclude });
      const queued = await load();
      if (!queued) throw new PermanentError('operation_not_found', `Operation ${operationId} does not exist.`);
      if (isTerminal(queued.status)) return `already ${queued.status}`;
      await assertTurn(queued);
      const token = `${queued.id}:${randomUUID()}`;
      if (!(await acquireLease(queued.agentId, token))) {
        throw new WaitForTurn(settings.turnDelayMs, `agent ${queued.agentId} is held by another worker`);
      }
      // Read again under the lease: the operation before this one may have just changed the agent.
      const operation = (await load())!;
      const heartbeat = setInterval(() => {
        renewLease(operation.agentId, token).catch((error) => log.warn({ err: error }, 'could not renew the agent lease'));
      }, Math.max(settings.leaseMs / 3, 50));
      try {
        // Only a live operation starts: a destroy may have superseded it since it was read.
        const { count } = await db.operation.updateMany({
          where: { id: operation.id, status: { in: ['queued', 'running'] } },
          data: { status: 'running', startedAt: operation.startedAt ?? clock.now(), attempts: job.attempt },
        });
        if (count === 0) return 'finished by another request (superseded) before it started';
        const run: Run = {
          operation,
          steps: new Steps(db, operation.id, operation.steps),
          job,
          deps,
          log,
          finish: (result) => applyFinish(db, operation, token, result),
        };
        const summary = await USE_CASES[name](run);
        log.info({ summary }, 'operation job done');
        return summary;
      } catch (error) {
        if (!(error instanceof WaitForTurn)) {
          log.warn({ err: error, code: isLifecycleError(error) ? error.code : undefined }, 'operation job failed');
          await recordFailure(operation, error, job, token);
        }
        throw error;
      } finally {
        clearInterval(heartbeat);
        await releaseLease(operation.agentId, token);
      }
    },

    /** The sweeper's pass: lapsed leases, lost jobs, silent provisioning runs. */
    sweep: () => sweep(deps),

    /** The reconciler's pass: orphaned servers and devices, power drift. */
    reconcile: () => reconcile(deps),
  };
}

export type Engine = ReturnType<typeof createEngine>;
