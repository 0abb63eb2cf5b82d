// What the provisioning workflow's callbacks do: `running` records progress, `completed`
// stores the server, device and IP and makes the agent active, `failed` fails the job and
// starts the rollback that deletes whatever the run left behind. Status only moves forward.
import { isUniqueViolation, type Db, type DbTransaction, type Operation, type ProvisioningJob, type ProvisioningJobStatus } from '@agent-lifecycle/db';
import type { Logger } from '@agent-lifecycle/logger';
import { audit, enqueueOperations, recordOperation, type OperationQueue } from '../records';

export interface ProvisioningCallback {
  job_id: string;
  status: 'running' | 'completed' | 'failed';
  step?: string;
  server_id?: number;
  tailscale_device_id?: string;
  tailscale_hostname?: string;
  ipv4?: string;
  error?: string;
}

export type CallbackOutcome = 'applied' | 'duplicate' | 'unknown_job' | 'stale';

const RANK: Record<ProvisioningJobStatus, number> = { queued: 0, dispatched: 1, running: 2, completed: 3, failed: 3, rolled_back: 4 };

export function createProvisioningCallbacks({ db, queue, logger }: { db: Db; queue: OperationQueue; logger: Logger }) {
  async function finishProvisionOperation(tx: DbTransaction, job: ProvisioningJob, status: 'succeeded' | 'failed', error?: string): Promise<void> {
    const operations = await tx.operation.findMany({ where: { provisioningJobId: job.id, kind: 'provision', status: { in: ['queued', 'running'] } } });
    for (const operation of operations) {
      await tx.operation.update({ where: { id: operation.id }, data: { status, error: error ?? null, finishedAt: new Date() } });
      await audit(tx, { agentId: job.agentId, operationId: operation.id, source: 'github', action: `operation.provision.${status}`, details: error ? { error } : undefined });
    }
  }

  async function completed(tx: DbTransaction, job: ProvisioningJob, callback: ProvisioningCallback): Promise<void> {
    const instance = {
      serverId: callback.server_id !== undefined ? BigInt(callback.server_id) : null,
      tailscaleDeviceId: callback.tailscale_device_id ?? null,
      tailscaleHostname: callback.tailscale_hostname ?? null,
      ipv4: callback.ipv4 ?? null,
      status: 'running' as const,
    };
    await tx.agentInstance.upsert({ where: { agentId: job.agentId }, create: { agentId: job.agentId, ...instance }, update: instance });
    const agent = await tx.agent.findUniqueOrThrow({ where: { id: job.agentId } });
    // A destroy requested while provisioning keeps the agent `destroying`; it now knows what to delete.
    if (agent.status === 'provisioning') {
      await tx.agent.update({ where: { id: agent.id }, data: { status: 'active' } });
      await audit(tx, { agentId: agent.id, source: 'github', action: 'agent.status', fromStatus: 'provisioning', toStatus: 'active' });
    }
    await finishProvisionOperation(tx, job, 'succeeded');
  }

  async function failed(tx: DbTransaction, job: ProvisioningJob, callback: ProvisioningCallback, deliveryId: string): Promise<Operation> {
    const error = `provisioning failed at ${callback.step ?? 'an unknown step'}: ${callback.error ?? 'no reason given'}`;
    await finishProvisionOperation(tx, job, 'failed', error);
    return recordOperation(tx, { agentId: job.agentId, kind: 'rollback', source: 'github', sourceRef: deliveryId, provisioningJobId: job.id });
  }

  return {
    /** Applies a verified callback delivery at most once. */
    async applyProvisioningCallback(deliveryId: string, callback: ProvisioningCallback): Promise<{ outcome: CallbackOutcome; operations: Operation[] }> {
      const log = logger.child({ deliveryId, provisioningJobId: callback.job_id, status: callback.status });
      let result: { outcome: CallbackOutcome; operations: Operation[] };
      try {
        result = await db.$transaction(async (tx) => {
          await tx.webhookEvent.create({ data: { provider: 'github', eventId: deliveryId, type: `provisioning.${callback.status}` } });
          const job = await tx.provisioningJob.findUnique({ where: { id: callback.job_id } });
          if (!job) return { outcome: 'unknown_job' as const, operations: [] };
          await tx.$queryRaw`SELECT id FROM "ProvisioningJob" WHERE id = ${job.id} FOR UPDATE`;
          const current = await tx.provisioningJob.findUniqueOrThrow({ where: { id: job.id } });
          const progressOnly = callback.status === 'running' && current.status === 'running';
          if (RANK[callback.status] <= RANK[current.status] && !progressOnly) return { outcome: 'stale' as const, operations: [] };
          await tx.provisioningJob.update({
            where: { id: job.id },
            data: {
              status: callback.status,
              step: callback.step ?? current.step,
              error: callback.status === 'failed' ? (callback.error ?? 'failed') : null,
              finishedAt: callback.status === 'running' ? null : new Date(),
            },
          });
          await audit(tx, { agentId: job.agentId, source: 'github', action: `provisioning.${callback.status}`, fromStatus: current.status, toStatus: callback.status, details: { jobId: job.id, step: callback.step ?? null } });
          if (callback.status === 'completed') await completed(tx, current, callback);
          const operations = callback.status === 'failed' ? [await failed(tx, current, callback, deliveryId)] : [];
          return { outcome: 'applied' as const, operations };
        });
      } catch (error) {
        if (isUniqueViolation(error)) return { outcome: 'duplicate', operations: [] };
        throw error;
      }
      if (result.outcome === 'unknown_job') log.warn('callback for an unknown provisioning job');
      else log.info({ outcome: result.outcome }, 'provisioning callback');
      await enqueueOperations(queue, logger, result.operations);
      return result;
    },
  };
}

export type ProvisioningCallbacks = ReturnType<typeof createProvisioningCallbacks>;
