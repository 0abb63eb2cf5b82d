// Read-side queries of the user API, always scoped to the caller: another user's agent
// or operation is simply not found. The reads themselves are packages/db's, shared with agentctl.
import { findOperation, listAgents, type Db } from '@agent-lifecycle/db';
import { agentView, loadAgentDetail, operationView, type AgentView, type OperationView } from '@agent-lifecycle/lifecycle';

export async function listOwnAgents(db: Db, userId: string): Promise<AgentView[]> {
  return (await listAgents(db, { userId })).map(agentView);
}

export function findOwnAgent(db: Db, userId: string, agentId: string): Promise<AgentView | null> {
  return loadAgentDetail(db, agentId, { userId });
}

export async function findOwnOperation(db: Db, userId: string, operationId: string): Promise<OperationView | null> {
  const operation = await findOperation(db, operationId, { userId });
  return operation && operationView(operation);
}
