// Persistence of what users ask of agents (create, stop, start, destroy): one statement reads
// everything the decision needs, one statement writes the decision (the operation, its audit
// entries, the agent's new status, the power changes a destroy supersedes) if the agent is
// still as it was read. Idempotency keys are unique per user, so of two concurrent requests
// with one key only one operation is written; the other is told to read again and replays it.
import { sql } from 'kysely';
import { jsonObjectFrom } from 'kysely/helpers/postgres';
import { uniqueConstraintOf, type Db } from './client';
import type { AgentStatus, SubscriptionStatus } from './generated/client';
import { newId } from './ids';
import { operationFromJson, utcDate } from './json-rows';
import { StaleRead, versionOf, type Versioned } from './locks';
import {
  auditColumns,
  auditSuperseded,
  destroyColumns,
  insertAuditEntries,
  insertOperations,
  operationColumns,
  planOperation,
  supersedeQueuedPowerChanges,
  type AuditColumns,
  type AuditInput,
  type DestroyColumns,
  type NewOperation,
  type OperationColumns,
  type OperationRecord,
} from './operations';
import { prepare, type Placeholders } from './prepared';

const IDEMPOTENCY_KEY = 'Operation_requestedById_idempotencyKey_key';

export interface AgentAsRead extends Versioned {
  status: AgentStatus;
  name: string;
  suspendedBy: string | null;
  createdAt: Date;
}

export interface AgentRequestFacts {
  /**
   * The user's agent with the id asked for; without one, the agent the earlier request with the
   * same idempotency key created. Null when the user has no such agent.
   */
  agent: AgentAsRead | null;
  /** The status of the user's subscription with the latest event; null without one. */
  billing: SubscriptionStatus | null;
  /** The operation an earlier request with the same idempotency key created. */
  earlier: OperationRecord | null;
}

const readRequest = prepare((db, p: Placeholders<{ userId: string; agentId: string | null; idempotencyKey: string | null }>) =>
  db.selectNoFrom((eb) => {
    const earlier = eb.selectFrom('Operation').where('requestedById', '=', p.userId).where('idempotencyKey', '=', p.idempotencyKey);
    return [
      jsonObjectFrom(
        eb
          .selectFrom('Agent')
          .select(['id', 'status', 'name', 'suspendedBy', 'createdAt', versionOf('Agent').as('version')])
          .where('id', '=', sql<string>`coalesce(${p.agentId}::text, (${earlier.select('agentId')}))`)
          .where('userId', '=', p.userId),
      ).as('agent'),
      eb.selectFrom('Subscription').select('status').where('userId', '=', p.userId).orderBy('lastEventAt', 'desc').limit(1).as('billing'),
      jsonObjectFrom(earlier.selectAll()).as('earlier'),
    ];
  }),
);

/** Everything a user's request on an agent (or for a new one) is decided on, in one statement. */
export async function readAgentRequest(db: Db, request: { userId: string; agentId?: string; idempotencyKey?: string }): Promise<AgentRequestFacts> {
  const [row] = await readRequest(db, { userId: request.userId, agentId: request.agentId ?? null, idempotencyKey: request.idempotencyKey ?? null });
  if (!row) throw new Error('the request read returned no row');
  return {
    agent: row.agent && { ...row.agent, createdAt: utcDate(row.agent.createdAt) },
    billing: row.billing,
    earlier: row.earlier && operationFromJson(row.earlier),
  };
}

export interface AgentOperationWrite {
  /** The agent as the decision read it. */
  agent: Versioned & { status: AgentStatus };
  operation: NewOperation;
  /** A destroy: the agent becomes `destroying` and its queued power changes are superseded. */
  destroys: boolean;
}

type AgentOperationParameters = { agentId: string; agentVersion: string; newStatus: AgentStatus | null } & OperationColumns & AuditColumns & DestroyColumns;

const writeAgentOperation = prepare<AgentOperationParameters, OperationRecord>((db, p) => {
  const recorded = sql<boolean>`EXISTS (SELECT 1 FROM agent)`;
  return (
    db
      .with('agent', (qc) =>
        qc
          .updateTable('Agent')
          // Writing the agent's row is what tells a concurrent decision that it read too early.
          .set({ status: sql`coalesce(${p.newStatus}::"AgentStatus", status)`, updatedAt: sql`now()` })
          .where('id', '=', p.agentId)
          .where(versionOf('Agent'), '=', p.agentVersion)
          .returning('id'),
      )
      .with('operation', () => insertOperations(db, p, recorded))
      .with('audit', () => insertAuditEntries(db, p, recorded))
      .with('superseded', () => supersedeQueuedPowerChanges(p, recorded))
      .with('superseded_audit', () => auditSuperseded('superseded', p))
      .selectFrom('operation')
      .selectAll()
  );
});

/**
 * Records the operation with its audit entries if the agent is still as read; throws StaleRead
 * when it changed, or when a concurrent request took the same idempotency key first.
 */
export async function recordAgentOperation(db: Db, write: AgentOperationWrite): Promise<OperationRecord> {
  const { agent, operation: input, destroys } = write;
  const planned = planOperation(input);
  const audits: AuditInput[] = [planned.audit];
  if (destroys) {
    audits.push({ agentId: agent.id, operationId: planned.row.id, source: input.source, actor: input.actor ?? null, action: 'agent.status', fromStatus: agent.status, toStatus: 'destroying' });
  }
  try {
    const [row] = await writeAgentOperation(db, {
      agentId: agent.id,
      agentVersion: agent.version,
      newStatus: destroys ? 'destroying' : null,
      ...operationColumns([planned]),
      ...auditColumns(audits),
      ...destroyColumns(destroys ? [planned] : [], input.source),
    });
    if (!row) throw new StaleRead(`agent ${agent.id}`);
    return row;
  } catch (error) {
    if (uniqueConstraintOf(error) === IDEMPOTENCY_KEY) throw new StaleRead('the idempotency key');
    throw error;
  }
}

export interface NewAgent {
  id: string;
  userId: string;
  name: string;
  status: 'provisioning';
  suspendedBy: null;
  createdAt: Date;
}

type NewAgentParameters = { agentId: string; userId: string; name: string; jobId: string } & OperationColumns & AuditColumns;

const writeNewAgent = prepare<NewAgentParameters, OperationRecord & { agentCreatedAt: Date }>((db, p) => {
  const always = sql<boolean>`true`;
  return db
    .with('agent', (qc) => qc.insertInto('Agent').values({ id: p.agentId, userId: p.userId, name: p.name, status: 'provisioning', updatedAt: sql`now()` }).returning(['createdAt']))
    .with('job', (qc) => qc.insertInto('ProvisioningJob').values({ id: p.jobId, agentId: p.agentId, updatedAt: sql`now()` }))
    .with('operation', () => insertOperations(db, p, always))
    .with('audit', () => insertAuditEntries(db, p, always))
    .selectFrom(['agent', 'operation'])
    .selectAll('operation')
    .select('agent.createdAt as agentCreatedAt');
});

/**
 * Records a new agent in `provisioning`, its provisioning job and operation, and their audit
 * entries; throws StaleRead when a concurrent request took the same idempotency key first.
 */
export async function recordNewAgent(
  db: Db,
  input: { userId: string; name: string; actor?: string | null; idempotencyKey?: string | null; requestHash?: string | null },
): Promise<{ agent: NewAgent; operation: OperationRecord }> {
  const agentId = newId();
  const jobId = newId();
  const planned = planOperation({
    agentId,
    kind: 'provision',
    source: 'api',
    actor: input.actor,
    provisioningJobId: jobId,
    requestedById: input.userId,
    idempotencyKey: input.idempotencyKey ?? null,
    requestHash: input.requestHash ?? null,
  });
  const audits: AuditInput[] = [planned.audit, { agentId, operationId: planned.row.id, source: 'api', actor: input.actor ?? null, action: 'agent.created', toStatus: 'provisioning' }];
  try {
    const [row] = await writeNewAgent(db, { agentId, userId: input.userId, name: input.name, jobId, ...operationColumns([planned]), ...auditColumns(audits) });
    if (!row) throw new Error('the new agent was not written');
    const { agentCreatedAt, ...operation } = row;
    return { agent: { id: agentId, userId: input.userId, name: input.name, status: 'provisioning', suspendedBy: null, createdAt: agentCreatedAt }, operation };
  } catch (error) {
    if (uniqueConstraintOf(error) === IDEMPOTENCY_KEY) throw new StaleRead('the idempotency key');
    throw error;
  }
}
