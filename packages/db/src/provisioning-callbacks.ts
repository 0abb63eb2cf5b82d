// Persistence of the provisioning workflow's callbacks: one statement reads the delivery,
// the provisioning job and its agent; one statement records the delivery (at most once) and
// applies what the use case decided (job progress, the agent's instance and status, the end
// of its provision operation, a rollback) if the job and the agent are still as read.
import { sql } from 'kysely';
import { jsonObjectFrom } from 'kysely/helpers/postgres';
import type { Db } from './client';
import type { AgentStatus, ProvisioningJobStatus } from './generated/client';
import { newId } from './ids';
import { StaleRead, unchangedRow, versionOf, type Versioned } from './locks';
import {
  auditColumns,
  insertAuditEntries,
  insertOperations,
  operationColumns,
  planOperation,
  type AuditColumns,
  type AuditInput,
  type NewOperation,
  type OperationColumns,
  type OperationRecord,
} from './operations';
import { prepare, type Placeholders } from './prepared';
import { recordDelivery, recordDeliveryWhen, wasApplied, type Delivery } from './webhook-events';

export interface CallbackFacts {
  /** The delivery was applied before. */
  applied: boolean;
  job: (Versioned & { agentId: string; status: ProvisioningJobStatus; step: string | null }) | null;
  /** The job's agent. */
  agent: (Versioned & { status: AgentStatus }) | null;
}

const readFacts = prepare((db, p: Placeholders<{ deliveryId: string; jobId: string }>) =>
  db.selectNoFrom((eb) => [
    wasApplied('github', p.deliveryId).as('applied'),
    jsonObjectFrom(eb.selectFrom('ProvisioningJob').select(['id', 'agentId', 'status', 'step', versionOf('ProvisioningJob').as('version')]).where('id', '=', p.jobId)).as('job'),
    jsonObjectFrom(
      eb
        .selectFrom('Agent')
        .select(['id', 'status', versionOf('Agent').as('version')])
        .where('id', '=', eb.selectFrom('ProvisioningJob').select('agentId').where('id', '=', p.jobId)),
    ).as('agent'),
  ]),
);

export async function readCallbackFacts(db: Db, callback: { deliveryId: string; jobId: string }): Promise<CallbackFacts> {
  const [row] = await readFacts(db, callback);
  if (!row) throw new Error('the callback read returned no row');
  return row;
}

export interface InstanceFields {
  serverId: number | null;
  tailscaleDeviceId: string | null;
  tailscaleHostname: string | null;
  ipv4: string | null;
}

/** What a callback changes, decided on the job and agent as read. */
export interface CallbackEffects {
  job: Versioned;
  agent: Versioned;
  progress: { status: ProvisioningJobStatus; step: string | null; error: string | null; finished: boolean };
  audits: AuditInput[];
  /** The server, device and address the run reports; the instance is then `running`. */
  instance?: InstanceFields;
  /** The agent's new status, when it changes. */
  agentStatus?: AgentStatus;
  /** How the job's provision operations end, when they do. */
  provisionEnds?: { status: 'succeeded' | 'failed'; error: string | null };
  rollback?: NewOperation;
}

export interface CallbackWrite {
  delivery: Delivery;
  /** Absent when the callback changes nothing (an unknown job, a stale status): only the delivery is recorded. */
  effects?: CallbackEffects;
}

export type CallbackWriteResult = { outcome: 'recorded'; operations: OperationRecord[] } | { outcome: 'duplicate' };

type CallbackParameters = {
  jobId: string;
  jobVersion: string;
  agentId: string;
  agentVersion: string;
  deliveryId: string;
  deliveryType: string;
  jobStatus: ProvisioningJobStatus;
  jobStep: string | null;
  jobError: string | null;
  jobFinished: boolean;
  /** The agent's new status; null keeps it. */
  agentStatus: AgentStatus | null;
  hasInstance: boolean;
  instanceId: string;
  serverId: string | null;
  tailscaleDeviceId: string | null;
  tailscaleHostname: string | null;
  ipv4: string | null;
  /** How the job's provision operations end; null: they go on. */
  provisionStatus: 'succeeded' | 'failed' | null;
  provisionError: string | null;
} & OperationColumns &
  AuditColumns;

const writeCallback = prepare((db, p: Placeholders<CallbackParameters>) => {
  const applied = sql<boolean>`EXISTS (SELECT 1 FROM event)`;
  return db
    .with('gate', (qc) => qc.selectNoFrom(sql<boolean>`${unchangedRow('ProvisioningJob', p.jobId, p.jobVersion)} AND ${unchangedRow('Agent', p.agentId, p.agentVersion)}`.as('fresh')))
    .with('event', () => recordDeliveryWhen(db, { provider: 'github', eventId: p.deliveryId, type: p.deliveryType, occurredAt: null }, sql<boolean>`(SELECT fresh FROM gate)`))
    .with('job', (qc) =>
      qc
        .updateTable('ProvisioningJob')
        .set({
          status: sql`${p.jobStatus}::"ProvisioningJobStatus"`,
          step: p.jobStep,
          error: p.jobError,
          finishedAt: sql`CASE WHEN ${p.jobFinished}::boolean THEN now() END`,
          updatedAt: sql`now()`,
        })
        .where('id', '=', p.jobId)
        .where(applied),
    )
    // The agent's row is written even when its status stays: a rollback may be recorded for it.
    .with('agent', (qc) =>
      qc
        .updateTable('Agent')
        .set({ status: sql`coalesce(${p.agentStatus}::"AgentStatus", status)`, updatedAt: sql`now()` })
        .where('id', '=', p.agentId)
        .where(applied),
    )
    .with('instance', (qc) =>
      qc
        .insertInto('AgentInstance')
        .columns(['id', 'agentId', 'serverId', 'tailscaleDeviceId', 'tailscaleHostname', 'ipv4', 'status', 'updatedAt'])
        .expression(
          sql`SELECT ${p.instanceId}, ${p.agentId}, ${p.serverId}::bigint, ${p.tailscaleDeviceId}::text, ${p.tailscaleHostname}::text, ${p.ipv4}::text, 'running'::"InstanceStatus", now()
            WHERE ${p.hasInstance}::boolean AND ${applied}`,
        )
        .onConflict((conflict) =>
          conflict.column('agentId').doUpdateSet((eb) => ({
            serverId: eb.ref('excluded.serverId'),
            tailscaleDeviceId: eb.ref('excluded.tailscaleDeviceId'),
            tailscaleHostname: eb.ref('excluded.tailscaleHostname'),
            ipv4: eb.ref('excluded.ipv4'),
            status: eb.ref('excluded.status'),
            updatedAt: sql`now()`,
          })),
        ),
    )
    .with('ended', (qc) =>
      qc
        .updateTable('Operation')
        .set({ status: sql`${p.provisionStatus}::"OperationStatus"`, error: p.provisionError, finishedAt: sql`now()`, updatedAt: sql`now()` })
        .where('provisioningJobId', '=', p.jobId)
        .where('kind', '=', 'provision')
        .where('status', 'in', ['queued', 'running'])
        .where(sql<boolean>`${p.provisionStatus}::text IS NOT NULL AND ${applied}`)
        .returning(['id', 'agentId', 'status', 'error']),
    )
    .with('ended_audit', (qc) =>
      qc
        .insertInto('AuditEntry')
        .columns(['agentId', 'operationId', 'source', 'action', 'details'])
        .expression((eb) =>
          eb
            .selectFrom('ended')
            .select([
              'ended.agentId',
              'ended.id',
              sql<'github'>`'github'::"OperationSource"`.as('source'),
              sql<string>`'operation.provision.' || ended.status`.as('action'),
              sql<unknown>`CASE WHEN ended.error IS NULL THEN NULL ELSE jsonb_build_object('error', ended.error) END`.as('details'),
            ]),
        ),
    )
    .with('operation', () => insertOperations(db, p, applied))
    .with('audit', () => insertAuditEntries(db, p, applied))
    .selectFrom('gate')
    .leftJoin('operation', (join) => join.onTrue())
    .select(['gate.fresh', applied.as('applied')])
    .selectAll('operation');
});

/**
 * Records the delivery and applies the callback in one statement; `duplicate` when another
 * delivery with the same id was recorded first. Throws StaleRead when the job or its agent
 * changed since they were read.
 */
export async function recordCallback(db: Db, { delivery, effects }: CallbackWrite): Promise<CallbackWriteResult> {
  if (!effects) return (await recordDelivery(db, delivery)) ? { outcome: 'recorded', operations: [] } : { outcome: 'duplicate' };
  const rollback = effects.rollback ? [planOperation(effects.rollback)] : [];
  const instance = effects.instance;
  const rows = await writeCallback(db, {
    jobId: effects.job.id,
    jobVersion: effects.job.version,
    agentId: effects.agent.id,
    agentVersion: effects.agent.version,
    deliveryId: delivery.eventId,
    deliveryType: delivery.type,
    jobStatus: effects.progress.status,
    jobStep: effects.progress.step,
    jobError: effects.progress.error,
    jobFinished: effects.progress.finished,
    agentStatus: effects.agentStatus ?? null,
    hasInstance: instance !== undefined,
    instanceId: newId(),
    serverId: instance?.serverId === null || instance === undefined ? null : String(instance.serverId),
    tailscaleDeviceId: instance?.tailscaleDeviceId ?? null,
    tailscaleHostname: instance?.tailscaleHostname ?? null,
    ipv4: instance?.ipv4 ?? null,
    provisionStatus: effects.provisionEnds?.status ?? null,
    provisionError: effects.provisionEnds?.error ?? null,
    ...operationColumns(rollback),
    ...auditColumns([...effects.audits, ...rollback.map((operation) => operation.audit)]),
  });
  const first = rows[0];
  if (!first?.fresh) throw new StaleRead('the provisioning job or its agent');
  if (!first.applied) return { outcome: 'duplicate' };
  return { outcome: 'recorded', operations: rows.flatMap(({ fresh: _fresh, applied: _applied, ...operation }) => (operation.id === null ? [] : [operation as OperationRecord])) };
}
