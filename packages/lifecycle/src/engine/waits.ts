// Waiting on the cloud without holding a worker slot. A step records what it waits for (a
// Hetzner action to finish, a server to reach a status) and its job steps aside; the cloud
// watcher polls every wait in batches, records what it saw and wakes the job, which then finds
// the answer here. A deadline (the ACPI grace, an action's timeout) wakes the job by itself.
// An operation has one wait at a time: the next one replaces it, and its end removes it.
import { findCloudWait, registerCloudWait, removeUnansweredCloudWait, type CloudWait, type Prisma } from '@agent-lifecycle/db';
import type { CloudAction, ServerStatus } from '../ports';
import { StepAside } from './job-context';
import type { Run } from './run';

/** What the watcher records for an action: how it ended, or null when Hetzner does not know it. */
export interface ObservedAction {
  action: Pick<CloudAction, 'status' | 'error'> | null;
}

/** What the watcher records for a server: the awaited status reached, or null when it is gone. */
export interface ObservedServer {
  server: { status: ServerStatus } | null;
}

export type Observed = ObservedAction | ObservedServer;

/** The watcher's first poll of a wait comes this long after it began (times `pollScale`). */
export const FIRST_POLL_MS = { action: 1_000, server: 2_000 } as const;

type Target = { kind: 'action'; actionId: number } | { kind: 'server'; serverId: number; agentId: string; status: ServerStatus };

const sameTarget = (wait: CloudWait, step: string, target: Target) =>
  wait.step === step &&
  (target.kind === 'action'
    ? wait.actionId !== null && Number(wait.actionId) === target.actionId
    : wait.serverId !== null && Number(wait.serverId) === target.serverId && wait.serverStatus === target.status);

/** Serialises an observation for the wait row (the watcher's side). */
export const observation = (observed: Observed): Prisma.InputJsonValue => observed as unknown as Prisma.InputJsonValue;

/**
 * The watcher's answer for `target`, 'timeout' once `deadline` passed with none; steps aside
 * (throws StepAside) while there is nothing yet.
 */
async function awaitCloud(run: Run, step: string, target: Target, deadline: Date, progress: string): Promise<Observed | 'timeout'> {
  const { db, clock, settings } = run.deps;
  const operationId = run.operation.id;
  const wait = await findCloudWait(db, operationId);
  if (wait && sameTarget(wait, step, target)) {
    // The answer stays until the operation ends or waits for something else, so an attempt
    // that fails before recording it finds it again.
    if (wait.observedAt !== null) return wait.observed as unknown as Observed;
    const now = clock.now().getTime();
    // A wait times out once the cloud had at least one look (or the watcher is long overdue).
    const looked = wait.polls > 0 || now >= wait.deadline.getTime() + settings.maxParkMs;
    if (now >= wait.deadline.getTime() && looked) {
      // The watcher may record its answer right now: only an unanswered wait times out.
      if (await removeUnansweredCloudWait(db, operationId)) return 'timeout';
      return awaitCloud(run, step, target, deadline, progress);
    }
    const firstPoll = FIRST_POLL_MS[target.kind] * settings.pollScale;
    throw stepAside(run, new Date(Math.max(wait.deadline.getTime(), now + firstPoll)), progress);
  }
  const firstPoll = FIRST_POLL_MS[target.kind] * settings.pollScale;
  // However late this job got here (a slow attempt, a retry), the cloud gets a look first.
  const lookedAt = new Date(Math.max(deadline.getTime(), clock.now().getTime() + firstPoll));
  await registerCloudWait(db, {
    operationId,
    step,
    jobName: run.job.name,
    ...(target.kind === 'action' ? { actionId: target.actionId } : { serverId: target.serverId, agentId: target.agentId, serverStatus: target.status }),
    deadline: lookedAt,
    nextPollAt: new Date(clock.now().getTime() + firstPoll),
  });
  await run.job.report(50, `${progress}; ${run.steps.describe()}`);
  throw stepAside(run, lookedAt, progress);
}

function stepAside(run: Run, deadline: Date, progress: string): StepAside {
  const { clock, settings } = run.deps;
  return new StepAside(new Date(Math.min(deadline.getTime(), clock.now().getTime() + settings.maxParkMs)), progress);
}

/** How the action ended, or 'timeout' when it still runs after the action timeout. */
export async function awaitAction(run: Run, step: string, actionId: number, progress: string): Promise<ObservedAction | 'timeout'> {
  const startedAt = run.steps.get(step)?.startedAt ?? run.deps.clock.now();
  const deadline = new Date(startedAt.getTime() + run.deps.settings.actionTimeoutMs);
  return (await awaitCloud(run, step, { kind: 'action', actionId }, deadline, progress)) as ObservedAction | 'timeout';
}

/** Whether the server reached `status` before `until`, or disappeared. */
export async function awaitServerStatus(
  run: Run,
  step: string,
  { serverId, status, until, progress }: { serverId: number; status: ServerStatus; until: Date; progress: string },
): Promise<'reached' | 'gone' | 'timeout'> {
  const outcome = await awaitCloud(run, step, { kind: 'server', serverId, agentId: run.operation.agentId, status }, until, progress);
  if (outcome === 'timeout') return 'timeout';
  return (outcome as ObservedServer).server === null ? 'gone' : 'reached';
}
