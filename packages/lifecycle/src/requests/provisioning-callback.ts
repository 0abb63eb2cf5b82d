// What the provisioning workflow's callbacks do: `running` records progress, `completed`
// stores the server, device and IP and makes the agent active, `failed` fails the job and
// starts the rollback that deletes whatever the run left behind. Status only moves forward.
import type { ProvisioningCallback } from '@agent-lifecycle/contracts';
import { accept, readCallbackFacts, recordCallback, type AuditInput, type CallbackEffects, type CallbackFacts, type Db, type OperationRecord, type ProvisioningJobStatus } from '@agent-lifecycle/db';
import type { Logger } from '@agent-lifecycle/logger';
import { acceptDeps, type OperationQueue } from '../records';

export type { ProvisioningCallback } from '@agent-lifecycle/contracts';

export type CallbackOutcome = 'applied' | 'duplicate' | 'unknown_job' | 'stale';

const RANK: Record<ProvisioningJobStatus, number> = { queued: 0, dispatched: 1, running: 2, completed: 3, failed: 3, rolled_back: 4 };

/** What the callback changes, or why it changes nothing. */
function decide(deliveryId: string, callback: ProvisioningCallback, facts: CallbackFacts): { outcome: CallbackOutcome; effects?: CallbackEffects } {
  const { job, agent } = facts;
  if (!job || !agent) return { outcome: 'unknown_job' };
  const progressOnly = callback.status === 'running' && job.status === 'running';
  if (RANK[callback.status] <= RANK[job.status] && !progressOnly) return { outcome: 'stale' };

  const step = callback.step ?? job.step;
  const audits: AuditInput[] = [
    { agentId: job.agentId, source: 'github', action: `provisioning.${callback.status}`, fromStatus: job.status, toStatus: callback.status, details: { jobId: job.id, step: callback.step ?? null } },
  ];
  const effects: CallbackEffects = {
    job,
    agent,
    progress: { status: callback.status, step, error: callback.status === 'failed' ? (callback.error ?? 'failed') : null, finished: callback.status !== 'running' },
    audits,
  };
  if (callback.status === 'completed') {
    effects.instance = {
      serverId: callback.server_id ?? null,
      tailscaleDeviceId: callback.tailscale_device_id ?? null,
      tailscaleHostname: callback.tailscale_hostname ?? null,
      ipv4: callback.ipv4 ?? null,
    };
    // A destroy requested while provisioning keeps the agent `destroying`; it now knows what to delete.
    if (agent.status === 'provisioning') {
      effects.agentStatus = 'active';
      audits.push({ agentId: agent.id, source: 'github', action: 'agent.status', fromStatus: 'provisioning', toStatus: 'active' });
    }
    effects.provisionEnds = { status: 'succeeded', error: null };
  }
  if (callback.status === 'failed') {
    effects.provisionEnds = { status: 'failed', error: `provisioning failed at ${callback.step ?? 'an unknown step'}: ${callback.error ?? 'no reason given'}` };
    effects.rollback = { agentId: job.agentId, kind: 'rollback', source: 'github', sourceRef: deliveryId, provisioningJobId: job.id };
  }
  return { outcome: 'applied', effects };
}

export function createProvisioningCallbacks({ db, queue, logger }: { db: Db; queue: OperationQueue; logger: Logger }) {
  const deps = acceptDeps(queue, logger);

  return {
    /** Applies a verified callback delivery at most once. */
    async applyProvisioningCallback(deliveryId: string, callback: ProvisioningCallback): Promise<{ outcome: CallbackOutcome; operations: OperationRecord[] }> {
      const log = logger.child({ deliveryId, provisioningJobId: callback.job_id, status: callback.status });
      const result = await accept(deps, async () => {
        const facts = await readCallbackFacts(db, { deliveryId, jobId: callback.job_id });
        if (facts.applied) return { value: { outcome: 'duplicate' as const, operations: [] }, enqueue: [] };
        const decision = decide(deliveryId, callback, facts);
        const written = await recordCallback(db, { delivery: { provider: 'github', eventId: deliveryId, type: `provisioning.${callback.status}` }, effects: decision.effects });
        if (written.outcome === 'duplicate') return { value: { outcome: 'duplicate' as const, operations: [] }, enqueue: [] };
        return { value: { outcome: decision.outcome, operations: written.operations }, enqueue: written.operations };
      });
      if (result.outcome === 'unknown_job') log.warn('callback for an unknown provisioning job');
      else log.info({ outcome: result.outcome }, 'provisioning callback');
      return result;
    },
  };
}

export type ProvisioningCallbacks = ReturnType<typeof createProvisioningCallbacks>;
