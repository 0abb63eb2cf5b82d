// The sweeper keeps invariant 1 (nothing accepted is lost): it re-enqueues operations
// whose job vanished (the enqueue-after-commit gap, a Redis restart), clears lapsed
// leases, and fails provisioning runs that never called back so they are rolled back.
import { audit, JOB_OF_KIND, recordOperation, enqueueOperations } from '../records';
import type { Operation } from '@agent-lifecycle/db';
import type { EngineDeps } from './run';

export interface SweepReport {
  requeued: string[];
  leasesCleared: number;
  provisioningTimedOut: string[];
}

async function hasLiveJob(deps: EngineDeps, operation: Operation): Promise<boolean> {
  const primary = JOB_OF_KIND[operation.kind];
  if (await deps.queue.hasLiveJob(primary, operation.id)) return true;
  const handsOver = operation.kind === 'destroy' || operation.kind === 'rollback';
  return handsOver && deps.queue.hasLiveJob('device.remove', operation.id);
}

export async function sweep(deps: EngineDeps): Promise<SweepReport> {
  const { db, clock, settings, logger } = deps;
  const now = clock.now();
  const report: SweepReport = { requeued: [], leasesCleared: 0, provisioningTimedOut: [] };

  const lapsed = await db.agent.updateMany({ where: { leaseExpiresAt: { lt: now } }, data: { leaseOperationId: null, leaseExpiresAt: null } });
  report.leasesCleared = lapsed.count;

  const stale = await db.operation.findMany({
    where: { status: { in: ['queued', 'running'] }, updatedAt: { lt: new Date(now.getTime() - settings.staleOperationMs) } },
    include: { steps: { where: { name: 'dispatch', status: 'succeeded' } } },
    orderBy: { createdAt: 'asc' },
    take: 500,
  });
  for (const operation of stale) {
    // A dispatched provisioning run waits for its callback, not for a job.
    if (operation.kind === 'provision' && operation.steps.length > 0) continue;
    if (await hasLiveJob(deps, operation)) continue;
    await deps.queue.requeue(JOB_OF_KIND[operation.kind], operation.id);
    report.requeued.push(operation.id);
  }

  const silent = await db.provisioningJob.findMany({
    where: { status: { in: ['dispatched', 'running'] }, updatedAt: { lt: new Date(now.getTime() - settings.provisioningTimeoutMs) } },
  });
  const rollbacks: Operation[] = [];
  for (const job of silent) {
    const error = `no callback from the provisioning workflow for ${Math.round(settings.provisioningTimeoutMs / 60_000)} minutes`;
    const rollback = await db.$transaction(async (tx) => {
      const { count } = await tx.provisioningJob.updateMany({ where: { id: job.id, status: job.status }, data: { status: 'failed', error, finishedAt: now } });
      if (count === 0) return null;
      await tx.operation.updateMany({ where: { provisioningJobId: job.id, kind: 'provision', status: { in: ['queued', 'running'] } }, data: { status: 'failed', error, finishedAt: now } });
      await audit(tx, { agentId: job.agentId, source: 'sweeper', action: 'provisioning.timed_out', details: { jobId: job.id } });
      return recordOperation(tx, { agentId: job.agentId, kind: 'rollback', source: 'sweeper', sourceRef: `timeout:${job.id}`, provisioningJobId: job.id });
    });
    if (rollback) {
      rollbacks.push(rollback);
      report.provisioningTimedOut.push(job.id);
    }
  }
  await enqueueOperations(deps.queue, logger, rollbacks);

  if (report.requeued.length > 0 || report.leasesCleared > 0 || report.provisioningTimedOut.length > 0) logger.info(report, 'sweep');
  return report;
}
