// Read-side queries of the user API, always scoped to the caller: another user's agent
// or operation is simply not found.
import type { Db } from '@agent-lifecycle/db';
import { agentView, loadAgentDetail, operationView, type AgentView, type OperationView } from '@agent-lifecycle/lifecycle';

export async function listOwnAgents(db: Db, userId: string): Promise<AgentView[]> {
  const agents = await db.agent.findMany({ where: { userId }, include: { instance: true }, orderBy: { createdAt: 'asc' } });
  return agents.map(agentView);
}

export function findOwnAgent(db: Db, userId: string, agentId: string): Promise<AgentView | null> {
  return loadAgentDetail(db, agentId, { userId });
}

export async function findOwnOperation(db: Db, userId: string, operationId: string): Promise<OperationView | null> {
  const operation = await db.operation.findFirst({ where: { id: operationId, agent: { userId } } });
  return operation && operationView(operation);
}
