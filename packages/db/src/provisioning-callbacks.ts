// Persistence of the provisioning workflow's callbacks: one statement reads the delivery,
// the provisioning job and its agent; one statement records the delivery (at most once) and
// applies what the use case decided (job progress, the agent's instance and status, the end
// of its provision operation, a rollback) if the job and the agent are still as read.
import { sql } from 'kysely';
import { jsonObjectFrom } from 'kysely/helpers/postgres';
import type { Db } from './client';
import type { AgentStatus, ProvisioningJobStatus } from './generated/client';
import { newId } from './ids';
import { StaleRead, unchanged, versionOf, type Versioned } from './locks';
import { insertAuditEntries, insertOperations, planOperation, type AuditInput, type NewOperation, type OperationRecord } from './operations';
import { recordDelivery, wasApplied, type Delivery } from './webhook-events';

export interface CallbackFacts {
  /** The delivery was applied before. */
  applied: boolean;
  job: (Versioned & { agentId: string; status: ProvisioningJobStatus; step: string | null }) | null;
  /** The job's agent. */
  agent: (Versioned & { status: AgentStatus }) | null;
}

export async function readCallbackFacts(db: Db, callback: { deliveryId: string; jobId: string }): Promise<CallbackFacts> {
  const row = await db.kysely
    .selectNoFrom((eb) => [
      wasApplied({ provider: 'github', eventId: callback.deliveryId }).as('applied'),
      jsonObjectFrom(
        eb.selectFrom('ProvisioningJob').select(['id', 'agentId', 'status', 'step', versionOf('ProvisioningJob').as('version')]).where('id', '=', callback.jobId),
      ).as('job'),
      jsonObjectFrom(
        eb
          .selectFrom('Agent')
          .select(['id', 'status', versionOf('Agent').as('version')])
          .where('id', '=', eb.selectFrom('ProvisioningJob').select('agentId').where('id', '=', callback.jobId)),
      ).as('agent'),
    ])
    .executeTakeFirstOrThrow();
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

/**
 * Records the delivery and applies the callback in one statement; `duplicate` when another
 * delivery with the same id was recorded first. Throws StaleRead when the job or its agent
 * changed since they were read.
 */
export async function recordCallback(db: Db, { delivery, effects: write }: CallbackWrite): Promise<CallbackWriteResult> {
  if (!write) {
    const recorded = await recordDelivery(db.kysely, delivery, sql<boolean>`true`).executeTakeFirst();
    return recorded ? { outcome: 'recorded', operations: [] } : { outcome: 'duplicate' };
  }
  const rollback = write.rollback ? [planOperation(write.rollback)] : [];
  const audits = [...write.audits, ...rollback.map((operation) => operation.audit)];
  const applied = sql<boolean>`EXISTS (SELECT 1 FROM event)`;
  const instance = write.instance;
  const ends = write.provisionEnds;
  const rows = await db.kysely
    .with('gate', (qc) => qc.selectNoFrom(sql<boolean>`${unchanged('ProvisioningJob', [write.job])} AND ${unchanged('Agent', [write.agent])}`.as('fresh')))
    .with('event', () => recordDelivery(db.kysely, delivery, sql<boolean>`(SELECT fresh FROM gate)`))
    .with('job', (qc) =>
      qc
        .updateTable('ProvisioningJob')
        .set({ status: write.progress.status, step: write.progress.step, error: write.progress.error, finishedAt: write.progress.finished ? sql`now()` : null, updatedAt: sql`now()` })
        .where('id', '=', write.job.id)
        .where(applied),
    )
    .with('agent', (qc) =>
      qc
        .updateTable('Agent')
        .set(write.agentStatus ? { status: write.agentStatus, updatedAt: sql`now()` } : { updatedAt: sql`now()` })
        .where('id', '=', write.agent.id)
        .where(applied),
    )
    .with('instance', (qc) =>
      qc
        .insertInto('AgentInstance')
        .columns(['id', 'agentId', 'serverId', 'tailscaleDeviceId', 'tailscaleHostname', 'ipv4', 'status', 'updatedAt'])
        .expression(
          sql`SELECT ${newId()}, ${write.agent.id}, ${instance?.serverId === null || instance === undefined ? null : String(instance.serverId)}::bigint, ${instance?.tailscaleDeviceId ?? null}, ${instance?.tailscaleHostname ?? null}, ${instance?.ipv4 ?? null}, 'running'::"InstanceStatus", now() WHERE ${instance ? applied : sql<boolean>`false`}`,
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
        .set({ status: ends?.status ?? 'succeeded', error: ends?.error ?? null, finishedAt: sql`now()`, updatedAt: sql`now()` })
        .where('provisioningJobId', '=', write.job.id)
        .where('kind', '=', 'provision')
        .where('status', 'in', ['queued', 'running'])
        .where(ends ? applied : sql<boolean>`false`)
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
    .with('operation', () => insertOperations(db.kysely, rollback, applied))
    .with('audit', () => insertAuditEntries(db.kysely, audits, applied))
    .selectFrom('gate')
    .leftJoin('operation', (join) => join.onTrue())
    .select(['gate.fresh', applied.as('applied')])
    .selectAll('operation')
    .execute();
  const first = rows[0];
  if (!first?.fresh) throw new StaleRead('the provisioning job or its agent');
  if (!first.applied) return { outcome: 'duplicate' };
  return { outcome: 'recorded', operations: rows.flatMap(({ fresh: _fresh, applied: _applied, ...operation }) => (operation.id === null ? [] : [operation as OperationRecord])) };
}
