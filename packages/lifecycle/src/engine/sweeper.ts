// The sweeper keeps invariants 1 and 4 moving: it re-enqueues operations whose job vanished
// (the enqueue-after-commit gap, a Redis restart, a job BullMQ gave up on), clears lapsed
// leases, fails provisioning runs that never called back so they are rolled back, and puts
// failed destroys back in line with a growing pause until the agent's servers are gone.
import {
  clearLapsedAgentLeases,
  findSilentProvisioningJobs,
  findStaleOpenOperations,
  findStuckDestroys,
  requeueFailedDestroy,
  timeOutProvisioningJob,
  type Operation,
  type StaleOperation,
} from '@agent-lifecycle/db';
import { enqueueOperations, JOB_OF_KIND, recordOperation } from '../records';
import type { EngineDeps } from './run';

export interface SweepReport {
  requeued: string[];
  leasesCleared: number;
  provisioningTimedOut: string[];
  /** Failed destroys put back in line. */
  destroysRetried: string[];
}

const BATCH = 500;

async function requeueLost(deps: EngineDeps, now: Date): Promise<string[]> {
  const requeued: string[] = [];
  const stale: StaleOperation[] = await findStaleOpenOperations(deps.db, new Date(now.getTime() - deps.settings.staleOperationMs), BATCH);
  for (const operation of stale) {
    // A dispatched provisioning run waits for its callback, not for a job.
    if (operation.kind === 'provision' && operation.dispatched) continue;
    const job = JOB_OF_KIND[operation.kind];
    if (await deps.queue.hasLiveJob(job, operation.id)) continue;
    await deps.queue.requeue(job, operation.id);
    requeued.push(operation.id);
  }
  return requeued;
}

async function timeOutProvisioning(deps: EngineDeps, now: Date): Promise<string[]> {
  const { db, settings, queue, logger } = deps;
  const timedOut: string[] = [];
  const rollbacks: Operation[] = [];
  const error = `no callback from the provisioning workflow for ${Math.round(settings.provisioningTimeoutMs / 60_000)} minutes`;
  for (const job of await findSilentProvisioningJobs(db, new Date(now.getTime() - settings.provisioningTimeoutMs))) {
    const rollback = await db.$transaction(async (tx) => {
      if (!(await timeOutProvisioningJob(tx, job, error, now))) return null;
      return recordOperation(tx, { agentId: job.agentId, kind: 'rollback', source: 'sweeper', sourceRef: `timeout:${job.id}`, provisioningJobId: job.id });
    });
    if (rollback) {
      rollbacks.push(rollback);
      timedOut.push(job.id);
    }
  }
  await enqueueOperations(queue, logger, rollbacks);
  return timedOut;
}

/** A failed destroy leaves a server that still bills: it goes back in line, less often each time. */
async function retryFailedDestroys(deps: EngineDeps, now: Date): Promise<string[]> {
  const { db, settings, queue, logger } = deps;
  const retried: string[] = [];
  const created: Operation[] = [];
  for (const { agent, destroy, retries } of await findStuckDestroys(db, BATCH)) {
    if (!destroy) {
      // Destroying with no destroy on record: start one.
      created.push(await db.$transaction((tx) => recordOperation(tx, { agentId: agent.id, kind: 'destroy', source: 'sweeper', sourceRef: `stuck:${now.toISOString()}` })));
      continue;
    }
    const pauseMs = Math.min(settings.destroyRetryMaxMs, settings.destroyRetryMs * 2 ** retries);
    const due = (destroy.finishedAt?.getTime() ?? 0) + pauseMs <= now.getTime();
    logger.warn(
      { agentId: agent.id, operationId: destroy.id, retries, error: destroy.error, retryInMs: due ? 0 : (destroy.finishedAt?.getTime() ?? 0) + pauseMs - now.getTime() },
      'agent stuck in destroying: its destroy failed; its server may still bill',
    );
    if (!due || !(await requeueFailedDestroy(db, destroy, { retry: retries + 1, lastError: destroy.error }))) continue;
    await queue.requeue(JOB_OF_KIND.destroy, destroy.id);
    retried.push(destroy.id);
  }
  await enqueueOperations(queue, logger, created);
  return [...retried, ...created.map((operation) => operation.id)];
}

export async function sweep(deps: EngineDeps): Promise<SweepReport> {
  const now = deps.clock.now();
  const report: SweepReport = {
    leasesCleared: await clearLapsedAgentLeases(deps.db, now),
    requeued: await requeueLost(deps, now),
    provisioningTimedOut: await timeOutProvisioning(deps, now),
    destroysRetried: await retryFailedDestroys(deps, now),
  };
  if (report.requeued.length + report.leasesCleared + report.provisioningTimedOut.length + report.destroysRetried.length > 0) deps.logger.info(report, 'sweep');
  return report;
}
