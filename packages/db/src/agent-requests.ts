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
  auditSuperseded,
  insertAuditEntries,
  insertOperations,
  planOperation,
  supersedeQueuedPowerChanges,
  type AuditInput,
  type NewOperation,
  type OperationRecord,
} from './operations';

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

/** Everything a user's request on an agent (or for a new one) is decided on, in one statement. */
export async function readAgentRequest(db: Db, request: { userId: string; agentId?: string; idempotencyKey?: string }): Promise<AgentRequestFacts> {
  const { userId, agentId, idempotencyKey } = request;
  const row = await db.kysely
    .selectNoFrom((eb) => {
      const earlier = eb.selectFrom('Operation').where('requestedById', '=', userId).where('idempotencyKey', '=', idempotencyKey ?? null);
      return [
        jsonObjectFrom(
          eb
            .selectFrom('Agent')
            .select(['id', 'status', 'name', 'suspendedBy', 'createdAt', versionOf('Agent').as('version')])
            .where('id', '=', agentId ?? earlier.select('agentId'))
            .where('userId', '=', userId),
        ).as('agent'),
        eb.selectFrom('Subscription').select('status').where('userId', '=', userId).orderBy('lastEventAt', 'desc').limit(1).as('billing'),
        jsonObjectFrom(earlier.selectAll()).as('earlier'),
      ];
    })
    .executeTakeFirstOrThrow();
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
  const recorded = sql<boolean>`EXISTS (SELECT 1 FROM agent)`;
  try {
    const row = await db.kysely
      .with('agent', (qc) =>
        qc
          .updateTable('Agent')
          // Writing the agent's row is what tells a concurrent decision that it read too early.
          .set(destroys ? { status: 'destroying', updatedAt: sql`now()` } : { updatedAt: sql`now()` })
          .where('id', '=', agent.id)
          .where(versionOf('Agent'), '=', agent.version)
          .returning('id'),
      )
      .with('operation', () => insertOperations(db.kysely, [planned], recorded))
      .with('audit', () => insertAuditEntries(db.kysely, audits, recorded))
      .with('superseded', () => supersedeQueuedPowerChanges(destroys ? [{ agentId: agent.id, destroyId: planned.row.id }] : [], recorded))
      .with('superseded_audit', () => auditSuperseded('superseded', input.source))
      .selectFrom('operation')
      .selectAll()
      .executeTakeFirst();
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
  const always = sql<boolean>`true`;
  try {
    const row = await db.kysely
      .with('agent', (qc) =>
        qc.insertInto('Agent').values({ id: agentId, userId: input.userId, name: input.name, status: 'provisioning', updatedAt: sql`now()` }).returning(['createdAt']),
      )
      .with('job', (qc) => qc.insertInto('ProvisioningJob').values({ id: jobId, agentId, updatedAt: sql`now()` }))
      .with('operation', () => insertOperations(db.kysely, [planned], always))
      .with('audit', () => insertAuditEntries(db.kysely, audits, always))
      .selectFrom(['agent', 'operation'])
      .selectAll('operation')
      .select('agent.createdAt as agentCreatedAt')
      .executeTakeFirstOrThrow();
    const { agentCreatedAt, ...operation } = row;
    return { agent: { id: agentId, userId: input.userId, name: input.name, status: 'provisioning', suspendedBy: null, createdAt: agentCreatedAt }, operation };
  } catch (error) {
    if (uniqueConstraintOf(error) === IDEMPOTENCY_KEY) throw new StaleRead('the idempotency key');
    throw error;
  }
}
