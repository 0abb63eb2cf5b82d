// Persisted steps of one operation. A Hetzner action id is written to its step before
// anyone waits on it, so a retried or re-delivered job resumes that very action.
import { RetryableError } from '@agent-lifecycle/errors';
import type { Db, OperationStep } from '@agent-lifecycle/db';
import type { Clock, Cloud, CloudAction } from '../ports';
import type { JobContext } from './job-context';
import { awaitAction, type PollSettings } from './polling';

export class Steps {
  private readonly byName: Map<string, OperationStep>;

  constructor(
    private readonly db: Db,
    private readonly operationId: string,
    existing: OperationStep[],
  ) {
    this.byName = new Map(existing.map((step) => [step.name, step]));
  }

  get(name: string): OperationStep | undefined {
    return this.byName.get(name);
  }

  isFinished(name: string): boolean {
    const status = this.byName.get(name)?.status;
    return status === 'succeeded' || status === 'skipped';
  }

  /** The step row, created on first use (its `startedAt` survives retries). */
  async begin(name: string): Promise<{ step: OperationStep; resumed: boolean }> {
    const existing = this.byName.get(name);
    if (existing) return { step: existing, resumed: true };
    const step = await this.db.operationStep.upsert({
      where: { operationId_name: { operationId: this.operationId, name } },
      create: { operationId: this.operationId, name },
      update: {},
    });
    this.byName.set(name, step);
    return { step, resumed: false };
  }

  private async update(name: string, data: Partial<Pick<OperationStep, 'status' | 'hetznerActionId' | 'detail' | 'finishedAt'>>): Promise<void> {
    const step = await this.db.operationStep.update({ where: { operationId_name: { operationId: this.operationId, name } }, data });
    this.byName.set(name, step);
  }

  recordAction(name: string, actionId: number): Promise<void> {
    return this.update(name, { hetznerActionId: BigInt(actionId), status: 'running' });
  }

  /** Forgets a failed action so the next attempt issues a new one. */
  failAction(name: string, detail: string): Promise<void> {
    return this.update(name, { hetznerActionId: null, status: 'failed', detail });
  }

  succeed(name: string, detail?: string): Promise<void> {
    return this.update(name, { status: 'succeeded', detail: detail ?? null, finishedAt: new Date() });
  }

  async skip(name: string, detail: string): Promise<void> {
    await this.begin(name);
    await this.update(name, { status: 'skipped', detail, finishedAt: new Date() });
  }
}

export interface ActionStepDeps {
  cloud: Cloud;
  clock: Clock;
  poll: PollSettings;
  steps: Steps;
  job: JobContext;
}

/**
 * Runs one Hetzner action as a step: resumes the stored action, or adopts a running one a
 * crashed worker issued before it could store the id, or issues it (`issue` may answer
 * null: nothing to do, e.g. deleting a server already gone).
 */
export async function runActionStep(
  { cloud, clock, poll, steps, job }: ActionStepDeps,
  name: string,
  serverId: number,
  command: string,
  issue: () => Promise<CloudAction | null>,
  progress: number,
): Promise<void> {
  if (steps.isFinished(name)) return;
  const { step, resumed } = await steps.begin(name);
  let actionId = step.hetznerActionId === null ? null : Number(step.hetznerActionId);
  if (actionId === null) {
    const adopted = resumed ? (await cloud.runningActions(serverId)).find((action) => action.command === command) : undefined;
    const action = adopted ?? (await issue());
    if (action === null) {
      await steps.succeed(name, 'nothing to do: already in the wanted state');
      return;
    }
    actionId = action.id;
    await steps.recordAction(name, actionId);
  }
  await job.report(progress, `${name}: waiting for Hetzner action ${actionId} (${command}) on server ${serverId}`);
  const action = await awaitAction(cloud, clock, poll, actionId);
  if (action.status === 'error') {
    const reason = `${command} action ${actionId} failed: ${action.error?.code ?? 'error'} ${action.error?.message ?? ''}`.trim();
    await steps.failAction(name, reason);
    throw new RetryableError('action_failed', `Hetzner ${reason}`);
  }
  await steps.succeed(name, `action ${actionId} succeeded`);
}
