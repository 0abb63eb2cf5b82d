// Test data for the CLI, written straight to the database the CLI reads: a user with a
// token, an agent with or without an instance, operations with their recorded steps.
import type { Agent, AgentStatus, Db, Operation, OperationKind, OperationStatus, User } from '@agent-lifecycle/db';
import { createUser } from '@agent-lifecycle/lifecycle';

let serial = 0;
const unique = () => `${Date.now().toString(36)}${(serial += 1)}`;

export async function aUser(db: Db, options: { email?: string; stripeCustomerId?: string } = {}): Promise<User> {
  const { user } = await createUser(db, { email: options.email ?? `user-${unique()}@example.com`, ...(options.stripeCustomerId ? { stripeCustomerId: options.stripeCustomerId } : {}) });
  return user;
}

export async function anAgent(db: Db, owner: User, options: { name?: string; status?: AgentStatus; serverId?: number } = {}): Promise<Agent> {
  const agent = await db.agent.create({ data: { userId: owner.id, name: options.name ?? `agent-${unique()}`, status: options.status ?? 'active' } });
  if (options.serverId !== undefined) {
    await db.agentInstance.create({
      data: {
        agentId: agent.id,
        serverId: BigInt(options.serverId),
        tailscaleDeviceId: `ts-${options.serverId}`,
        tailscaleHostname: `agent-${agent.id}`,
        ipv4: '198.18.0.9',
        status: options.status === 'paused' ? 'stopped' : 'running',
      },
    });
  }
  return agent;
}

export interface StepInput {
  name: string;
  status: 'running' | 'succeeded' | 'failed' | 'skipped';
  hetznerActionId?: number;
  detail?: string;
}

export async function anOperation(
  db: Db,
  agent: Agent,
  options: { kind?: OperationKind; status?: OperationStatus; error?: string; errorCode?: string; attempts?: number; steps?: StepInput[] } = {},
): Promise<Operation> {
  const finished = options.status && !['queued', 'running'].includes(options.status);
  return db.operation.create({
    data: {
      agentId: agent.id,
      kind: options.kind ?? 'stop',
      source: 'api',
      status: options.status ?? 'queued',
      attempts: options.attempts ?? 0,
      error: options.error ?? null,
      errorCode: options.errorCode ?? null,
      finishedAt: finished ? new Date() : null,
      steps: {
        create: (options.steps ?? []).map((step) => ({
          name: step.name,
          status: step.status,
          hetznerActionId: step.hetznerActionId === undefined ? null : BigInt(step.hetznerActionId),
          detail: step.detail ?? null,
          finishedAt: step.status === 'running' ? null : new Date(),
        })),
      },
    },
  });
}
