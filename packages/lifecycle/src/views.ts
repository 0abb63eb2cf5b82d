// How agents and operations are shown to users and operators (API and CLI): plain JSON,
// ids as strings, server ids as numbers, dates as ISO strings.
import { findAgent, type Db, type InstanceRecord, type OperationRecord, type StepRecord } from '@agent-lifecycle/db';

export interface OperationView {
  id: string;
  agentId: string;
  kind: string;
  source: string;
  status: string;
  attempts: number;
  error: string | null;
  createdAt: string;
  finishedAt: string | null;
  steps?: { name: string; status: string; hetznerActionId: number | null; detail: string | null; startedAt: string; finishedAt: string | null }[];
}

export interface AgentView {
  id: string;
  name: string;
  status: string;
  suspendedBy: string | null;
  createdAt: string;
  instance: { serverId: number | null; tailscaleDeviceId: string | null; tailscaleHostname: string | null; ipv4: string | null; status: string } | null;
  operations?: OperationView[];
}

/** The fields a view shows (a Prisma row or a packages/db record both have them). */
type OperationFields = Pick<OperationRecord, 'id' | 'agentId' | 'kind' | 'source' | 'status' | 'attempts' | 'error' | 'createdAt' | 'finishedAt'>;
type StepFields = Omit<StepRecord, 'hetznerActionId'> & { hetznerActionId: number | bigint | string | null };
type InstanceFields = Omit<InstanceRecord, 'serverId'> & { serverId: number | bigint | string | null };

interface AgentFields {
  id: string;
  name: string;
  status: string;
  suspendedBy: string | null;
  createdAt: Date;
  instance?: InstanceFields | null;
  operations?: OperationFields[];
}

const iso = (date: Date | null) => (date ? date.toISOString() : null);
const numberOrNull = (value: number | bigint | string | null) => (value === null ? null : Number(value));

export function operationView(operation: OperationFields & { steps?: StepFields[] }): OperationView {
  return {
    id: operation.id,
    agentId: operation.agentId,
    kind: operation.kind,
    source: operation.source,
    status: operation.status,
    attempts: operation.attempts,
    error: operation.error,
    createdAt: operation.createdAt.toISOString(),
    finishedAt: iso(operation.finishedAt),
    ...(operation.steps
      ? {
          steps: operation.steps.map((step) => ({
            name: step.name,
            status: step.status,
            hetznerActionId: numberOrNull(step.hetznerActionId),
            detail: step.detail,
            startedAt: step.startedAt.toISOString(),
            finishedAt: iso(step.finishedAt),
          })),
        }
      : {}),
  };
}

export function agentView(agent: AgentFields): AgentView {
  const instance = agent.instance ?? null;
  return {
    id: agent.id,
    name: agent.name,
    status: agent.status,
    suspendedBy: agent.suspendedBy,
    createdAt: agent.createdAt.toISOString(),
    instance: instance && {
      serverId: numberOrNull(instance.serverId),
      tailscaleDeviceId: instance.tailscaleDeviceId,
      tailscaleHostname: instance.tailscaleHostname,
      ipv4: instance.ipv4,
      status: instance.status,
    },
    ...(agent.operations ? { operations: agent.operations.map(operationView) } : {}),
  };
}

/** An agent with its instance and most recent operations (a user's own when `userId` is given), or null. */
export async function loadAgentDetail(db: Db, agentId: string, where: { userId?: string } = {}, recent = 10): Promise<AgentView | null> {
  const agent = await findAgent(db, agentId, { userId: where.userId, recentOperations: recent });
  return agent && agentView(agent);
}
