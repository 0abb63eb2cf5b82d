// The context one job of an operation runs in: the operation with its agent, instance and
// steps as stored, the adapters, and `finish`, which ends the operation and applies its
// effect on the agent in one transaction.
import type { AgentStatus, Db, InstanceStatus, Prisma, ProvisioningJobStatus, SuspendedBy } from '@agent-lifecycle/db';
import type { Logger } from '@agent-lifecycle/logger';
import type { OperationQueue } from '../records';
import type { Clock, Cloud, Tailnet, Workflows } from '../ports';
import { audit } from '../records';
import type { JobContext } from './job-context';
import type { PollSettings } from './polling';
import type { Steps } from './steps';

export const operationInclude = {
  agent: { include: { instance: true, _count: { select: { provisioningJobs: true } } } },
  provisioningJob: true,
  steps: true,
} satisfies Prisma.OperationInclude;

export type LoadedOperation = Prisma.OperationGetPayload<{ include: typeof operationInclude }>;

export interface EngineSettings extends PollSettings {
  /** How long a stop waits for an ACPI shutdown before powering off. */
  stopGraceMs: number;
  /** Where the provisioning workflow posts its callbacks. */
  callbackUrl: string;
  /** How long an agent lease lasts without renewal (a dead worker's lease lapses). */
  leaseMs: number;
  /** How long to wait before looking again when the agent is busy. */
  turnDelayMs: number;
  /** A provisioning run silent for this long is failed and rolled back. */
  provisioningTimeoutMs: number;
  /** Operations untouched for this long with no live job are re-enqueued by the sweeper. */
  staleOperationMs: number;
}

export interface EngineDeps {
  db: Db;
  queue: OperationQueue;
  cloud: Cloud;
  tailnet: Tailnet;
  workflows: Workflows;
  clock: Clock;
  logger: Logger;
  settings: EngineSettings;
}

export interface Finish {
  status: 'succeeded' | 'skipped';
  reason?: string;
  agent?: { status: AgentStatus; suspendedBy?: SuspendedBy | null };
  instance?: { status: InstanceStatus };
  provisioningJob?: { status: ProvisioningJobStatus };
}

export interface Run {
  operation: LoadedOperation;
  steps: Steps;
  job: JobContext;
  deps: EngineDeps;
  log: Logger;
  /** Ends the operation and applies its effect; returns a summary for the job's result. */
  finish(result: Finish): Promise<string>;
}

/** Applies a finished operation's effects and releases the agent, atomically. */
export async function applyFinish(db: Db, operation: LoadedOperation, leaseToken: string, result: Finish): Promise<string> {
  const { agent } = operation;
  await db.$transaction(async (tx) => {
    const now = new Date();
    await tx.operation.update({
      where: { id: operation.id },
      data: { status: result.status, finishedAt: now, error: result.status === 'skipped' ? (result.reason ?? null) : null, errorCode: null },
    });
    await audit(tx, {
      agentId: agent.id,
      operationId: operation.id,
      source: operation.source,
      action: `operation.${operation.kind}.${result.status}`,
      details: result.reason ? { reason: result.reason } : undefined,
    });
    if (result.agent) {
      const suspendedBy = result.agent.suspendedBy === undefined ? {} : { suspendedBy: result.agent.suspendedBy };
      await tx.agent.update({ where: { id: agent.id }, data: { status: result.agent.status, ...suspendedBy } });
      if (result.agent.status !== agent.status) {
        await audit(tx, { agentId: agent.id, operationId: operation.id, source: operation.source, action: 'agent.status', fromStatus: agent.status, toStatus: result.agent.status });
      }
    }
    if (result.instance && agent.instance) {
      await tx.agentInstance.update({ where: { agentId: agent.id }, data: { status: result.instance.status } });
    }
    if (result.provisioningJob && operation.provisioningJobId) {
      await tx.provisioningJob.update({ where: { id: operation.provisioningJobId }, data: { status: result.provisioningJob.status, finishedAt: now } });
    }
    await tx.agent.updateMany({ where: { id: agent.id, leaseOperationId: leaseToken }, data: { leaseOperationId: null, leaseExpiresAt: null } });
  });
  return result.reason ? `${result.status}: ${result.reason}` : result.status;
}
