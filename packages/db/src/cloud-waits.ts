// Operations parked while the cloud works, as the engine and the cloud watcher share them:
// a job registers what it waits for, the watcher polls in batches and records what it saw,
// the job reads it when it runs again. One wait per operation: the next replaces it, a failed
// action's retry or the operation's end removes it (see endOperationRun).
import type { Db } from './client';
import { Prisma, type CloudWait } from './generated/client';

export type { CloudWait };

export interface NewCloudWait {
  operationId: string;
  step: string;
  jobName: string;
  /** Wait for this Hetzner action to finish… */
  actionId?: number;
  /** …or for this server (labelled `agent-id=agentId`) to reach `serverStatus`. */
  serverId?: number;
  agentId?: string;
  serverStatus?: string;
  deadline: Date;
  nextPollAt: Date;
}

/** Records what the operation waits for now, replacing any earlier wait of it. */
export async function registerCloudWait(db: Db, wait: NewCloudWait): Promise<void> {
  const data = {
    step: wait.step,
    jobName: wait.jobName,
    actionId: wait.actionId === undefined ? null : BigInt(wait.actionId),
    serverId: wait.serverId === undefined ? null : BigInt(wait.serverId),
    agentId: wait.agentId ?? null,
    serverStatus: wait.serverStatus ?? null,
    deadline: wait.deadline,
    nextPollAt: wait.nextPollAt,
    polls: 0,
    observed: Prisma.DbNull,
    observedAt: null,
  };
  await db.cloudWait.upsert({ where: { operationId: wait.operationId }, create: { operationId: wait.operationId, ...data }, update: data });
}

export function findCloudWait(db: Db, operationId: string): Promise<CloudWait | null> {
  return db.cloudWait.findUnique({ where: { operationId } });
}

/** Removes the operation's wait once its answer is of no more use (a failed action, before the retry). */
export async function removeCloudWait(db: Db, operationId: string): Promise<void> {
  await db.cloudWait.deleteMany({ where: { operationId } });
}

/** Removes a wait nothing was seen for (its deadline passed); false when the watcher answered it meanwhile. */
export async function removeUnansweredCloudWait(db: Db, operationId: string): Promise<boolean> {
  const { count } = await db.cloudWait.deleteMany({ where: { operationId, observedAt: null } });
  return count === 1;
}

/** When the soonest unanswered wait is due for a poll, or null when nothing waits. */
export async function nextCloudWaitPollAt(db: Db): Promise<Date | null> {
  const soonest = await db.cloudWait.findFirst({ where: { observedAt: null }, orderBy: { nextPollAt: 'asc' }, select: { nextPollAt: true } });
  return soonest?.nextPollAt ?? null;
}

/** Waits nothing has been seen for yet, soonest poll first. */
export function listOpenCloudWaits(db: Db, limit: number): Promise<CloudWait[]> {
  return db.cloudWait.findMany({ where: { observedAt: null }, orderBy: { nextPollAt: 'asc' }, take: limit });
}

/** Waits seen before `before` whose jobs have not taken the result yet (their wake-up may be lost). */
export function listUnclaimedCloudWaits(db: Db, before: Date, limit: number): Promise<Pick<CloudWait, 'operationId' | 'jobName'>[]> {
  return db.cloudWait.findMany({ where: { observedAt: { lt: before } }, orderBy: { observedAt: 'asc' }, take: limit, select: { operationId: true, jobName: true } });
}

export interface CloudWaitObservation {
  wait: Pick<CloudWait, 'operationId' | 'step' | 'actionId' | 'serverId'>;
  observed: Prisma.InputJsonValue;
}

/**
 * Records what the watcher saw, in one statement. Returns the waits it recorded it for (with
 * the job to wake); a wait gone, already answered, or replaced meanwhile by the operation's
 * next one is left out.
 */
export async function recordCloudWaitsObserved(db: Db, observations: CloudWaitObservation[], at: Date): Promise<Pick<CloudWait, 'operationId' | 'jobName'>[]> {
  if (observations.length === 0) return [];
  const ids = observations.map(({ wait }) => wait.operationId);
  const steps = observations.map(({ wait }) => wait.step);
  const actions = observations.map(({ wait }) => (wait.actionId === null ? null : String(wait.actionId)));
  const servers = observations.map(({ wait }) => (wait.serverId === null ? null : String(wait.serverId)));
  const observed = observations.map(({ observed: value }) => JSON.stringify(value));
  return db.$queryRaw<Pick<CloudWait, 'operationId' | 'jobName'>[]>`
    UPDATE "CloudWait" c
    SET "observed" = seen.observed::jsonb, "observedAt" = ${at}::timestamp
    FROM unnest(${ids}::text[], ${steps}::text[], ${actions}::text[], ${servers}::text[], ${observed}::text[]) AS seen(operation_id, step, action_id, server_id, observed)
    WHERE c."operationId" = seen.operation_id AND c.step = seen.step AND c."observedAt" IS NULL
      AND c."actionId" IS NOT DISTINCT FROM seen.action_id::bigint AND c."serverId" IS NOT DISTINCT FROM seen.server_id::bigint
    RETURNING c."operationId", c."jobName"`;
}

/**
 * Polled with nothing to show yet: the next poll comes later each time, `firstMs` after the
 * first poll, growing by half each poll up to `maxMs`.
 */
export async function postponeCloudWaits(db: Db, operationIds: string[], now: Date, firstMs: number, maxMs: number): Promise<void> {
  if (operationIds.length === 0) return;
  await db.$executeRaw`
    UPDATE "CloudWait"
    SET "polls" = "polls" + 1,
        "nextPollAt" = ${now}::timestamp + LEAST(${maxMs}::float8, ${firstMs}::float8 * power(1.5, "polls")) * interval '1 millisecond'
    WHERE "operationId" = ANY(${operationIds}::text[]) AND "observedAt" IS NULL`;
}
