// The reads users (the API) and operators (agentctl) share: agents with their instance,
// one agent with its recent operations, operations with their steps. Each is one statement;
// a user's read is scoped by `userId`, so another user's agent is simply not found.
import { sql, type Selectable } from 'kysely';
import { jsonArrayFrom, jsonObjectFrom } from 'kysely/helpers/postgres';
import type { Db, Sql } from './client';
import type { AgentStatus, InstanceStatus, OperationStatus, ProvisioningJobStatus, StepStatus, SubscriptionStatus } from './generated/client';
import type { Agent as AgentTable } from './generated/kysely/types';
import { operationFromJson, utcDate, utcDateOrNull } from './json-rows';
import type { OperationRecord } from './operations';
import { prepare, type Placeholders } from './prepared';

export type AgentRecord = Selectable<AgentTable>;

export interface InstanceRecord {
  serverId: number | null;
  tailscaleDeviceId: string | null;
  tailscaleHostname: string | null;
  ipv4: string | null;
  status: InstanceStatus;
}

export interface AgentWithInstance extends AgentRecord {
  instance: InstanceRecord | null;
  ownerEmail: string;
}

export interface AgentDetail extends AgentWithInstance {
  /** Newest first. */
  operations: OperationRecord[];
}

export interface StepRecord {
  name: string;
  status: StepStatus;
  hetznerActionId: number | null;
  detail: string | null;
  startedAt: Date;
  finishedAt: Date | null;
}

export interface OperationDetail extends OperationRecord {
  /** In the order they started. */
  steps: StepRecord[];
  agent: { name: string; status: AgentStatus };
  provisioningJob: { id: string; status: ProvisioningJobStatus; step: string | null; error: string | null } | null;
}

const serverIdOf = (value: string | number | null) => (value === null ? null : Number(value));

function agentsWithInstance(db: Sql) {
  return db
    .selectFrom('Agent')
    .innerJoin('User', 'User.id', 'Agent.userId')
    .leftJoin('AgentInstance', 'AgentInstance.agentId', 'Agent.id')
    .selectAll('Agent')
    .select([
      'User.email as ownerEmail',
      'AgentInstance.id as instanceId',
      'AgentInstance.serverId',
      'AgentInstance.tailscaleDeviceId',
      'AgentInstance.tailscaleHostname',
      'AgentInstance.ipv4',
      'AgentInstance.status as instanceStatus',
    ]);
}

type AgentRow = Awaited<ReturnType<ReturnType<typeof agentsWithInstance>['executeTakeFirstOrThrow']>>;

function toAgent(row: AgentRow): AgentWithInstance {
  const { instanceId, serverId, tailscaleDeviceId, tailscaleHostname, ipv4, instanceStatus, ...agent } = row;
  return {
    ...agent,
    instance: instanceId === null ? null : { serverId: serverIdOf(serverId), tailscaleDeviceId, tailscaleHostname, ipv4, status: instanceStatus ?? 'pending' },
  };
}

const agentsOf = prepare((db, p: Placeholders<{ userId: string | null; ownerEmail: string | null; status: AgentStatus | null }>) =>
  agentsWithInstance(db)
    .where(sql<boolean>`(${p.userId}::text IS NULL OR "Agent"."userId" = ${p.userId})`)
    .where(sql<boolean>`(${p.ownerEmail}::text IS NULL OR "User".email = ${p.ownerEmail})`)
    .where(sql<boolean>`(${p.status}::"AgentStatus" IS NULL OR "Agent".status = ${p.status}::"AgentStatus")`)
    .orderBy('Agent.createdAt')
    .orderBy('Agent.id'),
);

/** Agents with their instance and owner, oldest first: a user's (`userId`), an owner's by email, or all; optionally in one status. */
export async function listAgents(db: Db, filter: { userId?: string; ownerEmail?: string; status?: AgentStatus } = {}): Promise<AgentWithInstance[]> {
  const rows = await agentsOf(db, { userId: filter.userId ?? null, ownerEmail: filter.ownerEmail?.toLowerCase() ?? null, status: filter.status ?? null });
  return rows.map(toAgent);
}

const agentDetail = prepare((db, p: Placeholders<{ agentId: string; userId: string | null; recentOperations: number }>) =>
  agentsWithInstance(db)
    .select((eb) =>
      jsonArrayFrom(
        eb
          .selectFrom('Operation')
          .selectAll('Operation')
          .whereRef('Operation.agentId', '=', 'Agent.id')
          .orderBy('Operation.createdAt', 'desc')
          .orderBy('Operation.id', 'desc')
          .limit(p.recentOperations),
      ).as('operations'),
    )
    .where('Agent.id', '=', p.agentId)
    .where(sql<boolean>`(${p.userId}::text IS NULL OR "Agent"."userId" = ${p.userId})`),
);

/** One agent (a user's own when `userId` is given) with its instance and most recent operations. */
export async function findAgent(db: Db, agentId: string, scope: { userId?: string; recentOperations?: number } = {}): Promise<AgentDetail | null> {
  const [row] = await agentDetail(db, { agentId, userId: scope.userId ?? null, recentOperations: scope.recentOperations ?? 10 });
  if (!row) return null;
  const { operations, ...agent } = row;
  return { ...toAgent(agent), operations: operations.map(operationFromJson) };
}

const operationOf = prepare((db, p: Placeholders<{ operationId: string; userId: string | null }>) =>
  db
    .selectFrom('Operation')
    .innerJoin('Agent', 'Agent.id', 'Operation.agentId')
    .selectAll('Operation')
    .where('Operation.id', '=', p.operationId)
    .where(sql<boolean>`(${p.userId}::text IS NULL OR "Agent"."userId" = ${p.userId})`),
);

/** One operation (of a user's agent when `userId` is given). */
export async function findOperation(db: Db, operationId: string, scope: { userId?: string } = {}): Promise<OperationRecord | null> {
  const [operation] = await operationOf(db, { operationId, userId: scope.userId ?? null });
  return operation ?? null;
}

/** Operations, newest first. */
export function listOperations(db: Db, filter: { agentId?: string; status?: OperationStatus; limit: number }): Promise<OperationRecord[]> {
  let query = db.kysely.selectFrom('Operation').selectAll();
  if (filter.agentId !== undefined) query = query.where('agentId', '=', filter.agentId);
  if (filter.status !== undefined) query = query.where('status', '=', filter.status);
  return query.orderBy('createdAt', 'desc').orderBy('id', 'desc').limit(filter.limit).execute();
}

/** One operation with its steps, its agent's name and status, and its provisioning job. */
export async function findOperationDetail(db: Db, operationId: string): Promise<OperationDetail | null> {
  const row = await db.kysely
    .selectFrom('Operation')
    .innerJoin('Agent', 'Agent.id', 'Operation.agentId')
    .selectAll('Operation')
    .select((eb) => [
      'Agent.name as agentName',
      'Agent.status as agentStatus',
      jsonArrayFrom(
        eb
          .selectFrom('OperationStep')
          .select([
            'OperationStep.name',
            'OperationStep.status',
            sql<number | null>`"OperationStep"."hetznerActionId"::float8`.as('hetznerActionId'),
            'OperationStep.detail',
            'OperationStep.startedAt',
            'OperationStep.finishedAt',
          ])
          .whereRef('OperationStep.operationId', '=', 'Operation.id')
          .orderBy('OperationStep.startedAt')
          .orderBy('OperationStep.id'),
      ).as('steps'),
      jsonObjectFrom(eb.selectFrom('ProvisioningJob').select(['ProvisioningJob.id', 'ProvisioningJob.status', 'ProvisioningJob.step', 'ProvisioningJob.error']).whereRef('ProvisioningJob.id', '=', 'Operation.provisioningJobId')).as('provisioningJob'),
    ])
    .where('Operation.id', '=', operationId)
    .executeTakeFirst();
  if (!row) return null;
  const { agentName, agentStatus, steps, provisioningJob, ...operation } = row;
  return {
    ...operation,
    agent: { name: agentName, status: agentStatus },
    provisioningJob,
    steps: steps.map((step) => ({ ...step, startedAt: utcDate(step.startedAt), finishedAt: utcDateOrNull(step.finishedAt) })),
  };
}

const billingOf = prepare((db, p: Placeholders<{ userId: string }>) =>
  db.selectFrom('Subscription').select('status').where('userId', '=', p.userId).orderBy('lastEventAt', 'desc').limit(1),
);

/**
 * The status of the user's subscription with the latest billing event (null without one): what
 * a start or resume checks before it runs (the lifecycle's BILLING_FORBIDS_RUNNING).
 */
export async function latestSubscriptionStatus(db: Db, userId: string): Promise<SubscriptionStatus | null> {
  const [row] = await billingOf(db, { userId });
  return row?.status ?? null;
}
