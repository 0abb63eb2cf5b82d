// Operations and their audit trail. Every operation is recorded with its `…accepted` audit
// entry, in the same transaction (the engine, through Prisma) or the same statement (the hot
// paths, through Kysely: rows are built here with their ids, then written behind a gate).
import { sql, type Insertable, type RawBuilder, type Selectable } from 'kysely';
import type { Placeholders } from './prepared';
import type { Db, DbTransaction, Sql } from './client';
import type { Operation, OperationKind, OperationSource, Prisma } from './generated/client';
import type { AuditEntry as AuditTable, Operation as OperationTable } from './generated/kysely/types';
import { newId } from './ids';

export const TERMINAL_OPERATION_STATUSES = ['succeeded', 'failed', 'skipped', 'superseded'] as const;
export const PENDING_OPERATION_STATUSES = ['queued', 'running'] as const;

/** An operation as the hot paths read and return it. */
export type OperationRecord = Selectable<OperationTable>;

export interface AuditInput {
  agentId?: string | null;
  operationId?: string | null;
  source: OperationSource;
  actor?: string | null;
  action: string;
  fromStatus?: string | null;
  toStatus?: string | null;
  details?: Prisma.InputJsonValue;
}

export interface NewOperation {
  agentId: string;
  kind: OperationKind;
  source: OperationSource;
  sourceRef?: string | null;
  actor?: string | null;
  requestedById?: string | null;
  idempotencyKey?: string | null;
  requestHash?: string | null;
  provisioningJobId?: string | null;
}

// ---- Inside a Prisma transaction (the engine, the sweeper, the reconciler, operator retries) ----

export async function audit(tx: DbTransaction, entry: AuditInput): Promise<void> {
  await tx.auditEntry.create({ data: entry });
}

function acceptedAudit(operationId: string, input: NewOperation): AuditInput {
  return {
    agentId: input.agentId,
    operationId,
    source: input.source,
    actor: input.actor ?? null,
    action: `operation.${input.kind}.accepted`,
    details: input.sourceRef ? { sourceRef: input.sourceRef } : undefined,
  };
}

/** Creates a queued operation and its audit entry inside the caller's transaction. */
export async function recordOperation(tx: DbTransaction, input: NewOperation): Promise<Operation> {
  const { actor: _actor, ...data } = input;
  const operation = await tx.operation.create({ data });
  await audit(tx, acceptedAudit(operation.id, input));
  return operation;
}

/**
 * Records a destroy on a cold path (the reconciler): the operation, the agent `destroying`,
 * and its queued power changes superseded, each with its audit entry. The hot paths do the
 * same in one statement (agent-requests.ts, billing-events.ts).
 */
export async function recordDestroy(tx: DbTransaction, agent: { id: string; status: string }, input: Omit<NewOperation, 'agentId' | 'kind'>): Promise<Operation> {
  const operation = await recordOperation(tx, { ...input, agentId: agent.id, kind: 'destroy' });
  await tx.agent.update({ where: { id: agent.id }, data: { status: 'destroying' } });
  await audit(tx, { agentId: agent.id, operationId: operation.id, source: input.source, actor: input.actor ?? null, action: 'agent.status', fromStatus: agent.status, toStatus: 'destroying' });
  const pending = await tx.operation.findMany({ where: { agentId: agent.id, status: 'queued', kind: { in: [...SUPERSEDED_BY_DESTROY] } }, select: { id: true, kind: true } });
  for (const superseded of pending) {
    await tx.operation.update({ where: { id: superseded.id }, data: { status: 'superseded', finishedAt: new Date(), error: `superseded by destroy ${operation.id}` } });
    await audit(tx, { agentId: agent.id, operationId: superseded.id, source: input.source, action: `operation.${superseded.kind}.superseded`, details: { by: operation.id } });
  }
  return operation;
}

// ---- In one hot-path statement (prepared: rows travel as one array a column) ----

/** An operation about to be recorded, with its id and its audit entry. */
export interface PlannedOperation {
  row: { id: string } & Omit<NewOperation, 'actor'>;
  audit: AuditInput;
}

export function planOperation(input: NewOperation): PlannedOperation {
  const id = newId();
  const { actor: _actor, ...fields } = input;
  return { row: { id, ...fields }, audit: acceptedAudit(id, input) };
}

/** Operations to insert, one array a column. */
export interface OperationColumns {
  operationIds: string[];
  operationAgentIds: string[];
  operationKinds: OperationKind[];
  operationSources: OperationSource[];
  operationSourceRefs: (string | null)[];
  operationJobIds: (string | null)[];
  operationRequestedByIds: (string | null)[];
  operationIdempotencyKeys: (string | null)[];
  operationRequestHashes: (string | null)[];
}

export function operationColumns(operations: readonly PlannedOperation[]): OperationColumns {
  const rows = operations.map((operation) => operation.row);
  return {
    operationIds: rows.map((row) => row.id),
    operationAgentIds: rows.map((row) => row.agentId),
    operationKinds: rows.map((row) => row.kind),
    operationSources: rows.map((row) => row.source),
    operationSourceRefs: rows.map((row) => row.sourceRef ?? null),
    operationJobIds: rows.map((row) => row.provisioningJobId ?? null),
    operationRequestedByIds: rows.map((row) => row.requestedById ?? null),
    operationIdempotencyKeys: rows.map((row) => row.idempotencyKey ?? null),
    operationRequestHashes: rows.map((row) => row.requestHash ?? null),
  };
}

/** Audit entries to insert, one array a column. */
export interface AuditColumns {
  auditAgentIds: (string | null)[];
  auditOperationIds: (string | null)[];
  auditSources: OperationSource[];
  auditActors: (string | null)[];
  auditActions: string[];
  auditFromStatuses: (string | null)[];
  auditToStatuses: (string | null)[];
  auditDetails: (string | null)[];
}

export function auditColumns(entries: readonly AuditInput[]): AuditColumns {
  return {
    auditAgentIds: entries.map((entry) => entry.agentId ?? null),
    auditOperationIds: entries.map((entry) => entry.operationId ?? null),
    auditSources: entries.map((entry) => entry.source),
    auditActors: entries.map((entry) => entry.actor ?? null),
    auditActions: entries.map((entry) => entry.action),
    auditFromStatuses: entries.map((entry) => entry.fromStatus ?? null),
    auditToStatuses: entries.map((entry) => entry.toStatus ?? null),
    auditDetails: entries.map((entry) => (entry.details === undefined ? null : JSON.stringify(entry.details))),
  };
}

/** Inserts the audit entries when `when` holds. */
export function insertAuditEntries(db: Sql, p: Placeholders<AuditColumns>, when: RawBuilder<boolean>) {
  return db
    .insertInto('AuditEntry')
    .columns(['agentId', 'operationId', 'source', 'actor', 'action', 'fromStatus', 'toStatus', 'details'])
    .expression(
      sql<Insertable<AuditTable>>`SELECT * FROM unnest(${p.auditAgentIds}::text[], ${p.auditOperationIds}::text[], ${p.auditSources}::"OperationSource"[], ${p.auditActors}::text[], ${p.auditActions}::text[], ${p.auditFromStatuses}::text[], ${p.auditToStatuses}::text[], ${p.auditDetails}::jsonb[]) WHERE ${when}`,
    );
}

/** Inserts the operations when `when` holds, returning them as stored. */
export function insertOperations(db: Sql, p: Placeholders<OperationColumns>, when: RawBuilder<boolean>) {
  return db
    .insertInto('Operation')
    .columns(['id', 'agentId', 'kind', 'source', 'sourceRef', 'provisioningJobId', 'requestedById', 'idempotencyKey', 'requestHash', 'updatedAt'])
    .expression(
      sql<Insertable<OperationTable>>`SELECT *, now() FROM unnest(${p.operationIds}::text[], ${p.operationAgentIds}::text[], ${p.operationKinds}::"OperationKind"[], ${p.operationSources}::"OperationSource"[], ${p.operationSourceRefs}::text[], ${p.operationJobIds}::text[], ${p.operationRequestedByIds}::text[], ${p.operationIdempotencyKeys}::text[], ${p.operationRequestHashes}::text[]) WHERE ${when}`,
    )
    .returningAll();
}

/** Stop, start, suspend and resume still waiting in line: a destroy makes them pointless. */
export const SUPERSEDED_BY_DESTROY = ['stop', 'start', 'suspend', 'resume'] as const satisfies readonly OperationKind[];

/** Destroys being recorded: each agent with its destroy operation (empty when none). */
export interface DestroyColumns {
  destroyAgentIds: string[];
  destroyIds: string[];
  /** Who asked (the superseded operations' audit entries say so). */
  destroySource: OperationSource;
}

export function destroyColumns(destroys: readonly PlannedOperation[], source: OperationSource): DestroyColumns {
  return { destroyAgentIds: destroys.map(({ row }) => row.agentId), destroyIds: destroys.map(({ row }) => row.id), destroySource: source };
}

/**
 * When `when` holds, marks each agent's queued power changes superseded by its destroy; returns
 * the superseded operations (`id, agentId, kind, destroyId`) for `auditSuperseded`. With no
 * destroys the statement reads nothing (the first conditions are checked once, before any scan).
 */
export function supersedeQueuedPowerChanges(p: Placeholders<DestroyColumns>, when: RawBuilder<boolean>) {
  // Raw statements in a WITH need their own parentheses.
  return sql<{ id: string; agentId: string; kind: OperationKind; destroyId: string }>`(UPDATE "Operation" AS o
    SET status = 'superseded', "finishedAt" = now(), "updatedAt" = now(), error = 'superseded by destroy ' || d."destroyId"
    FROM unnest(${p.destroyAgentIds}::text[], ${p.destroyIds}::text[]) AS d("agentId", "destroyId")
    WHERE cardinality(${p.destroyAgentIds}::text[]) > 0 AND ${when}
      AND o."agentId" = ANY(${p.destroyAgentIds}::text[]) AND o."agentId" = d."agentId" AND o.status = 'queued'
      AND o.kind IN (${sql.join(SUPERSEDED_BY_DESTROY.map((kind) => sql.lit(kind)))})
    RETURNING o.id, o."agentId", o.kind, d."destroyId")`;
}

/** The audit entries of the operations a `supersedeQueuedPowerChanges` CTE named `cte` returned. */
export function auditSuperseded(cte: string, p: Placeholders<DestroyColumns>) {
  return sql<{ none?: never }>`(INSERT INTO "AuditEntry" ("agentId", "operationId", source, action, details)
    SELECT s."agentId", s.id, ${p.destroySource}::"OperationSource", 'operation.' || s.kind || '.superseded', jsonb_build_object('by', s."destroyId")
    FROM ${sql.table(cte)} AS s)`;
}

/**
 * Puts a failed operation back in line (queued, error cleared: the same id, so its recorded
 * steps resume) with its audit entry. Null when it is no longer failed.
 */
export async function requeueFailedOperation(db: Db, operation: { id: string; agentId: string; kind: OperationKind }, actor: string): Promise<Operation | null> {
  return db.$transaction(async (tx) => {
    const { count } = await tx.operation.updateMany({ where: { id: operation.id, status: 'failed' }, data: { status: 'queued', error: null, errorCode: null, finishedAt: null } });
    if (count === 0) return null;
    await audit(tx, { agentId: operation.agentId, operationId: operation.id, source: 'operator', actor, action: `operation.${operation.kind}.retried` });
    return tx.operation.findUniqueOrThrow({ where: { id: operation.id } });
  });
}
