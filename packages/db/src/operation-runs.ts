// What the engine stores while it carries an operation out: the operation as it runs (its
// agent, instance and steps), whose turn it is, the agent lease, the steps with their Hetzner
// action ids, the billing state a start must respect, and the end with its audit entries.
import type { Db, DbTransaction } from './client';
import {
  Prisma,
  type AgentStatus,
  type InstanceStatus,
  type Operation,
  type OperationStep,
  type ProvisioningJobStatus,
  type SubscriptionStatus,
  type SuspendedBy,
} from './generated/client';

export const operationRunInclude = {
  agent: { include: { instance: true, _count: { select: { provisioningJobs: true } } } },
  provisioningJob: true,
  steps: true,
} satisfies Prisma.OperationInclude;

/** An operation with everything a job of it reads: agent, instance, provisioning job, steps. */
export type OperationRun = Prisma.OperationGetPayload<{ include: typeof operationRunInclude }>;

const OPEN = ['queued', 'running'] as const;

export function loadOperationRun(db: Db, operationId: string): Promise<OperationRun | null> {
  return db.operation.findUnique({ where: { id: operationId }, include: operationRunInclude });
}

type Ordered = Pick<Operation, 'id' | 'agentId' | 'createdAt'>;

/** The first unfinished operation of the same agent created before `operation`: it goes first. */
export function findEarlierOpenOperation(db: Db, operation: Ordered): Promise<Pick<Operation, 'id' | 'kind'> | null> {
  return db.operation.findFirst({
    where: {
      agentId: operation.agentId,
      id: { not: operation.id },
      status: { in: [...OPEN] },
      OR: [{ createdAt: { lt: operation.createdAt } }, { createdAt: operation.createdAt, id: { lt: operation.id } }],
    },
    orderBy: [{ createdAt: 'asc' }, { id: 'asc' }],
    select: { id: true, kind: true },
  });
}

/** The unfinished operation of the agent next in line after `operation`, to wake when it ends. */
export function findNextOpenOperation(db: Db, operation: Ordered): Promise<Pick<Operation, 'id' | 'kind'> | null> {
  return db.operation.findFirst({
    where: {
      agentId: operation.agentId,
      id: { not: operation.id },
      status: { in: [...OPEN] },
      OR: [{ createdAt: { gt: operation.createdAt } }, { createdAt: operation.createdAt, id: { gt: operation.id } }],
    },
    orderBy: [{ createdAt: 'asc' }, { id: 'asc' }],
    select: { id: true, kind: true },
  });
}

/** The fields that decide whose turn it is, before anything else of the operation is read. */
export function findOperationTurn(db: Db, operationId: string): Promise<Pick<Operation, 'id' | 'agentId' | 'kind' | 'status' | 'createdAt'> | null> {
  return db.operation.findUnique({ where: { id: operationId }, select: { id: true, agentId: true, kind: true, status: true, createdAt: true } });
}

/**
 * Takes the agent for `token` until `until`, in one statement, if it is the operation's turn
 * (no unfinished operation of the agent created before it) and nobody holds the agent or the
 * holder's lease lapsed. False otherwise (see findEarlierOpenOperation for why).
 */
export async function takeAgentTurn(db: Db, operation: Ordered, token: string, now: Date, until: Date): Promise<boolean> {
  const taken = await db.$executeRaw`
    UPDATE "Agent" a SET "leaseOperationId" = ${token}, "leaseExpiresAt" = ${until}::timestamp
    WHERE a.id = ${operation.agentId}
      AND (a."leaseOperationId" IS NULL OR a."leaseExpiresAt" < ${now}::timestamp)
      AND NOT EXISTS (
        SELECT 1 FROM "Operation" o
        WHERE o."agentId" = a.id AND o.id <> ${operation.id} AND o.status IN ('queued', 'running')
          AND (o."createdAt" < ${operation.createdAt}::timestamp OR (o."createdAt" = ${operation.createdAt}::timestamp AND o.id < ${operation.id}))
      )`;
  return taken === 1;
}

export async function renewAgentLease(db: Db, agentId: string, token: string, until: Date): Promise<void> {
  await db.agent.updateMany({ where: { id: agentId, leaseOperationId: token }, data: { leaseExpiresAt: until } });
}

export async function releaseAgentLease(db: Db | DbTransaction, agentId: string, token: string): Promise<void> {
  await db.agent.updateMany({ where: { id: agentId, leaseOperationId: token }, data: { leaseOperationId: null, leaseExpiresAt: null } });
}

/** Marks the operation running for this attempt; false when it already ended (a destroy superseded it). */
export async function markOperationRunning(db: Db, operation: Pick<Operation, 'id' | 'status' | 'attempts' | 'startedAt'>, attempt: number, now: Date): Promise<boolean> {
  // Only queued operations are superseded: one running in this attempt already is marked.
  if (operation.status === 'running' && operation.attempts === attempt) return true;
  const { count } = await db.operation.updateMany({
    where: { id: operation.id, status: { in: [...OPEN] } },
    data: { status: 'running', startedAt: operation.startedAt ?? now, attempts: attempt },
  });
  return count === 1;
}

/** Keeps the error of an attempt that will be retried, for operators to see meanwhile. */
export async function recordAttemptError(db: Db, operationId: string, error: { message: string; code: string }): Promise<void> {
  await db.operation.update({ where: { id: operationId }, data: { error: error.message, errorCode: error.code } });
}

export interface OperationEnd {
  status: 'succeeded' | 'skipped' | 'failed';
  /** Why it was skipped, or the error it failed with. */
  reason?: string;
  /** The error code of a failure. */
  code?: string;
  agent?: { status: AgentStatus; suspendedBy?: SuspendedBy | null };
  instance?: { status: InstanceStatus };
  provisioningJob?: { status: ProvisioningJobStatus };
}

/**
 * Ends the operation and applies its effects on the agent, instance and provisioning job,
 * with their audit entries, and releases the agent, all in one transaction.
 */
export async function endOperationRun(db: Db, run: OperationRun, end: OperationEnd, leaseToken: string, now: Date): Promise<void> {
  const { agent } = run;
  await db.$transaction(async (tx) => {
    await tx.operation.update({
      where: { id: run.id },
      data: { status: end.status, finishedAt: now, error: end.status === 'succeeded' ? null : (end.reason ?? null), errorCode: end.code ?? null },
    });
    const details = end.status === 'failed' ? { error: end.reason ?? null, code: end.code ?? null } : end.reason ? { reason: end.reason } : undefined;
    await tx.auditEntry.create({ data: { agentId: agent.id, operationId: run.id, source: run.source, action: `operation.${run.kind}.${end.status}`, details } });
    if (end.agent) {
      const suspendedBy = end.agent.suspendedBy === undefined ? {} : { suspendedBy: end.agent.suspendedBy };
      await tx.agent.update({ where: { id: agent.id }, data: { status: end.agent.status, ...suspendedBy } });
      if (end.agent.status !== agent.status) {
        await tx.auditEntry.create({
          data: { agentId: agent.id, operationId: run.id, source: run.source, action: 'agent.status', fromStatus: agent.status, toStatus: end.agent.status },
        });
      }
    }
    if (end.instance && agent.instance) await tx.agentInstance.update({ where: { agentId: agent.id }, data: { status: end.instance.status } });
    if (end.provisioningJob && run.provisioningJobId) {
      await tx.provisioningJob.update({ where: { id: run.provisioningJobId }, data: { status: end.provisioningJob.status, finishedAt: now } });
    }
    await tx.cloudWait.deleteMany({ where: { operationId: run.id } });
    await releaseAgentLease(tx, agent.id, leaseToken);
  });
}

/** The step row, created with its start time (before its action is sent) when it is new. */
export function createStep(db: Db, operationId: string, name: string, startedAt: Date): Promise<OperationStep> {
  return db.operationStep.upsert({
    where: { operationId_name: { operationId, name } },
    create: { operationId, name, startedAt },
    update: {},
  });
}

/** Starts a failed step over: a new start time, no action, running again. */
export function restartStep(db: Db, operationId: string, name: string, startedAt: Date): Promise<OperationStep> {
  return db.operationStep.update({
    where: { operationId_name: { operationId, name } },
    data: { startedAt, status: 'running', hetznerActionId: null, detail: null, finishedAt: null },
  });
}

export function updateStep(
  db: Db,
  operationId: string,
  name: string,
  data: Partial<Pick<OperationStep, 'status' | 'hetznerActionId' | 'detail' | 'finishedAt'>>,
): Promise<OperationStep> {
  return db.operationStep.update({ where: { operationId_name: { operationId, name } }, data });
}

/** The status of the user's subscription that changed last, or null without any. */
export async function latestSubscriptionStatus(db: Db, userId: string): Promise<SubscriptionStatus | null> {
  const latest = await db.subscription.findFirst({ where: { userId }, orderBy: { lastEventAt: 'desc' }, select: { status: true } });
  return latest?.status ?? null;
}

/** The provisioning workflow was dispatched for the job (unless it moved on already). */
export async function markProvisioningJobDispatched(db: Db, provisioningJobId: string): Promise<void> {
  await db.provisioningJob.updateMany({ where: { id: provisioningJobId, status: 'queued' }, data: { status: 'dispatched' } });
}
