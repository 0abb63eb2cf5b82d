// The reads users (the API) and operators (agentctl) share: agents with their instance,
// one agent with its recent operations, operations with their steps. Each is one statement;
// a user's read is scoped by `userId`, so another user's agent is simply not found.
import { sql, type Selectable } from 'kysely';
import { jsonArrayFrom, jsonObjectFrom } from 'kysely/helpers/postgres';
import type { Db } from './client';
import type { AgentStatus, InstanceStatus, OperationStatus, ProvisioningJobStatus, StepStatus } from './generated/client';
import type { Agent as AgentTable } from './generated/kysely/types';
import { operationFromJson, utcDate, utcDateOrNull } from './json-rows';
import type { OperationRecord } from './operations';

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

function agentsWithInstance(db: Db) {
  return db.kysely
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

/** Agents with their instance and owner, oldest first: a user's (`userId`), an owner's by email, or all; optionally in one status. */
export async function listAgents(db: Db, filter: { userId?: string; ownerEmail?: string; status?: AgentStatus } = {}): Promise<AgentWithInstance[]> {
  let query = agentsWithInstance(db);
  if (filter.userId !== undefined) query = query.where('Agent.userId', '=', filter.userId);
  if (filter.ownerEmail !== undefined) query = query.where('User.email', '=', filter.ownerEmail.toLowerCase());
  if (filter.status !== undefined) query = query.where('Agent.status', '=', filter.status);
  const rows = await query.orderBy('Agent.createdAt').orderBy('Agent.id').execute();
  return rows.map(toAgent);
}

/** One agent (a user's own when `userId` is given) with its instance and most recent operations. */
export async function findAgent(db: Db, agentId: string, scope: { userId?: string; recentOperations?: number } = {}): Promise<AgentDetail | null> {
  let query = agentsWithInstance(db)
    .select((eb) =>
      jsonArrayFrom(
        eb
          .selectFrom('Operation')
          .selectAll('Operation')
          .whereRef('Operation.agentId', '=', 'Agent.id')
          .orderBy('Operation.createdAt', 'desc')
          .orderBy('Operation.id', 'desc')
          .limit(scope.recentOperations ?? 10),
      ).as('operations'),
    )
    .where('Agent.id', '=', agentId);
  if (scope.userId !== undefined) query = query.where('Agent.userId', '=', scope.userId);
  const row = await query.executeTakeFirst();
  if (!row) return null;
  const { operations, ...agent } = row;
  return { ...toAgent(agent), operations: operations.map(operationFromJson) };
}

/** One operation (of a user's agent when `userId` is given). */
export async function findOperation(db: Db, operationId: string, scope: { userId?: string } = {}): Promise<OperationRecord | null> {
  let query = db.kysely.selectFrom('Operation').selectAll('Operation').where('Operation.id', '=', operationId);
  if (scope.userId !== undefined) query = query.innerJoin('Agent', 'Agent.id', 'Operation.agentId').where('Agent.userId', '=', scope.userId);
  return (await query.executeTakeFirst()) ?? null;
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
