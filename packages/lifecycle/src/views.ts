// How agents and operations are shown to users and operators (API and CLI): plain JSON,
// ids as strings, server ids as numbers, dates as ISO strings.
import type { Agent, AgentInstance, Db, Operation, OperationStep } from '@agent-lifecycle/db';

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

const iso = (date: Date | null) => (date ? date.toISOString() : null);

export function operationView(operation: Operation & { steps?: OperationStep[] }): OperationView {
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
            hetznerActionId: step.hetznerActionId === null ? null : Number(step.hetznerActionId),
            detail: step.detail,
            startedAt: step.startedAt.toISOString(),
            finishedAt: iso(step.finishedAt),
          })),
        }
      : {}),
  };
}

export function agentView(agent: Agent & { instance?: AgentInstance | null; operations?: Operation[] }): AgentView {
  const instance = agent.instance ?? null;
  return {
    id: agent.id,
    name: agent.name,
    status: agent.status,
    suspendedBy: agent.suspendedBy,
    createdAt: agent.createdAt.toISOString(),
    instance: instance && {
      serverId: instance.serverId === null ? null : Number(instance.serverId),
      tailscaleDeviceId: instance.tailscaleDeviceId,
      tailscaleHostname: instance.tailscaleHostname,
      ipv4: instance.ipv4,
      status: instance.status,
    },
    ...(agent.operations ? { operations: agent.operations.map(operationView) } : {}),
  };
}

/** An agent with its instance and most recent operations, or null. */
export async function loadAgentDetail(db: Db, agentId: string, where: { userId?: string } = {}, recent = 10): Promise<AgentView | null> {
  const agent = await db.agent.findFirst({
    where: { id: agentId, ...where },
    include: { instance: true, operations: { orderBy: { createdAt: 'desc' }, take: recent } },
  });
  return agent && agentView(agent);
}
