// The queries of the engine's upkeep: the sweeper (lost operations, lapsed leases, silent
// provisioning runs, destroys that failed), the reconciler (agents owning cloud resources,
// agents running against their billing state) and the gauges operators watch.
import type { Db, DbTransaction } from './client';
import type { Agent, AgentInstance, Operation, OperationKind, ProvisioningJob, SubscriptionStatus } from './generated/client';

const OPEN = ['queued', 'running'] as const;

export async function clearLapsedAgentLeases(db: Db, now: Date): Promise<number> {
  const { count } = await db.agent.updateMany({ where: { leaseExpiresAt: { lt: now } }, data: { leaseOperationId: null, leaseExpiresAt: null } });
  return count;
}

export type StaleOperation = Operation & { dispatched: boolean };

/** Unfinished operations untouched since `since`, oldest first; `dispatched` for provisioning runs awaiting their callback. */
export async function findStaleOpenOperations(db: Db, since: Date, take: number): Promise<StaleOperation[]> {
  const operations = await db.operation.findMany({
    where: { status: { in: [...OPEN] }, updatedAt: { lt: since } },
    include: { steps: { where: { name: 'dispatch', status: 'succeeded' }, select: { id: true } } },
    orderBy: { createdAt: 'asc' },
    take,
  });
  return operations.map(({ steps, ...operation }) => ({ ...operation, dispatched: steps.length > 0 }));
}

/** Provisioning runs dispatched or running that have not called back since `since`. */
export function findSilentProvisioningJobs(db: Db, since: Date): Promise<ProvisioningJob[]> {
  return db.provisioningJob.findMany({ where: { status: { in: ['dispatched', 'running'] }, updatedAt: { lt: since } } });
}

/** Fails a silent provisioning run and its operation (with an audit entry); false when it moved on meanwhile. */
export async function timeOutProvisioningJob(tx: DbTransaction, job: ProvisioningJob, error: string, now: Date): Promise<boolean> {
  const { count } = await tx.provisioningJob.updateMany({ where: { id: job.id, status: job.status }, data: { status: 'failed', error, finishedAt: now } });
  if (count === 0) return false;
  await tx.operation.updateMany({ where: { provisioningJobId: job.id, kind: 'provision', status: { in: [...OPEN] } }, data: { status: 'failed', error, finishedAt: now } });
  await tx.auditEntry.create({ data: { agentId: job.agentId, source: 'sweeper', action: 'provisioning.timed_out', details: { jobId: job.id } } });
  return true;
}

export interface StuckDestroy {
  agent: Pick<Agent, 'id' | 'status'>;
  /** The agent's latest destroy operation (failed), or null when it has none. */
  destroy: Operation | null;
  /** How often the sweeper already put that destroy back in line. */
  retries: number;
}

/** Agents `destroying` with no operation in line: their destroy failed (or was lost). */
export async function findStuckDestroys(db: Db, take: number): Promise<StuckDestroy[]> {
  const agents = await db.agent.findMany({
    where: { status: 'destroying', operations: { none: { status: { in: [...OPEN] } } } },
    select: { id: true, status: true, operations: { where: { kind: 'destroy' }, orderBy: { createdAt: 'desc' }, take: 1 } },
    take,
  });
  return Promise.all(
    agents.map(async ({ operations, ...agent }) => {
      const destroy = operations[0] ?? null;
      const retries = destroy ? await db.auditEntry.count({ where: { operationId: destroy.id, action: 'operation.destroy.retried', source: 'sweeper' } }) : 0;
      return { agent, destroy, retries };
    }),
  );
}

/** Puts a failed destroy back in line (with an audit entry); false when it is no longer failed. */
export async function requeueFailedDestroy(db: Db, destroy: Pick<Operation, 'id' | 'agentId'>, details: { retry: number; lastError: string | null }): Promise<boolean> {
  return db.$transaction(async (tx) => {
    const { count } = await tx.operation.updateMany({ where: { id: destroy.id, status: 'failed' }, data: { status: 'queued', finishedAt: null } });
    if (count === 0) return false;
    await tx.auditEntry.create({ data: { agentId: destroy.agentId, operationId: destroy.id, source: 'sweeper', action: 'operation.destroy.retried', details } });
    return true;
  });
}

export type ReconciledAgent = Agent & { instance: AgentInstance | null; operations: { id: string }[] };

/** The agents of these ids with their instance and whether an operation of theirs is in line. */
export function findAgentsForReconcile(db: Db, ids: string[]): Promise<ReconciledAgent[]> {
  return db.agent.findMany({
    where: { id: { in: ids } },
    include: { instance: true, operations: { where: { status: { in: [...OPEN] } }, select: { id: true }, take: 1 } },
  });
}

export interface AgentAgainstBilling {
  id: string;
  status: Agent['status'];
  billing: SubscriptionStatus;
}

/**
 * Agents with no operation in line that run against their customer's latest subscription:
 * active while it is delinquent (`past_due`, `unpaid`), or alive while it is `canceled`.
 */
export function findAgentsAgainstBilling(db: Db, take: number): Promise<AgentAgainstBilling[]> {
  return db.$queryRaw<AgentAgainstBilling[]>`
    SELECT a.id, a.status, latest.status AS billing
    FROM "Agent" a
    JOIN LATERAL (
      SELECT s.status FROM "Subscription" s WHERE s."userId" = a."userId" ORDER BY s."lastEventAt" DESC LIMIT 1
    ) latest ON true
    WHERE (
      (latest.status IN ('past_due', 'unpaid') AND a.status = 'active')
      OR (latest.status = 'canceled' AND a.status IN ('provisioning', 'active', 'paused', 'suspended', 'failed'))
    )
    AND NOT EXISTS (SELECT 1 FROM "Operation" o WHERE o."agentId" = a.id AND o.status IN ('queued', 'running'))
    ORDER BY a."createdAt"
    LIMIT ${take}`;
}

/** The agent follows a server powered on or off outside the service (with an audit entry). */
export async function recordPowerDrift(db: Db, agent: Pick<Agent, 'id' | 'status'>, to: 'active' | 'paused', server: { id: number; status: string }): Promise<void> {
  await db.$transaction(async (tx) => {
    await tx.agent.update({ where: { id: agent.id }, data: { status: to } });
    await tx.agentInstance.update({ where: { agentId: agent.id }, data: { status: to === 'paused' ? 'stopped' : 'running' } });
    await tx.auditEntry.create({
      data: { agentId: agent.id, source: 'sweeper', action: 'reconcile.status_drift', fromStatus: agent.status, toStatus: to, details: { serverId: server.id, serverStatus: server.status } },
    });
  });
}

/** An audit entry of the reconciler's own (an orphan deleted, a device removed). */
export async function recordReconcileAction(db: Db, agentId: string, action: string, details: Record<string, string | number>): Promise<void> {
  await db.auditEntry.create({ data: { agentId, source: 'sweeper', action, details } });
}

/** Unfinished operations older than `before`, counted by kind. */
export async function countStuckOperations(db: Db, before: Date): Promise<{ kind: OperationKind; count: number }[]> {
  const groups = await db.operation.groupBy({ by: ['kind'], where: { status: { in: [...OPEN] }, createdAt: { lt: before } }, _count: { _all: true } });
  return groups.map((group) => ({ kind: group.kind, count: group._count._all }));
}

export function countAgentsDestroying(db: Db): Promise<number> {
  return db.agent.count({ where: { status: 'destroying' } });
}

/** PostgreSQL answers (readiness). */
export async function pingDatabase(db: Db): Promise<void> {
  await db.$queryRaw`SELECT 1`;
}
