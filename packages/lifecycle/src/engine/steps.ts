// Persisted steps of one operation, and Hetzner actions sent as steps. A step records when it
// began before its action is sent, and the action's id as soon as it is known, so a retried,
// re-delivered or woken job resumes that very action and never sends it twice.
import { isLifecycleError, PermanentError, RetryableError } from '@agent-lifecycle/errors';
import { createStep, removeCloudWait, restartStep, updateStep, type Db, type OperationStep } from '@agent-lifecycle/db';
import type { Clock, CloudAction, CloudActionCommand } from '../ports';
import type { Run } from './run';
import { awaitAction } from './waits';

export class Steps {
  private readonly byName: Map<string, OperationStep>;

  constructor(
    private readonly db: Db,
    private readonly clock: Clock,
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

  /** One line per step, for operators (Bull Board's progress). */
  describe(): string {
    return [...this.byName.values()]
      .map((step) => `${step.name}: ${step.status}${step.hetznerActionId === null ? '' : ` (action ${step.hetznerActionId})`}`)
      .join('; ');
  }

  /**
   * The step row with its start time, written now if the step is new (or failed before and
   * starts over). `resumed` says an earlier attempt began it and may have sent its action.
   */
  async begin(name: string): Promise<{ step: OperationStep; resumed: boolean }> {
    const existing = this.byName.get(name);
    if (existing && existing.status !== 'failed') return { step: existing, resumed: true };
    const step = existing ? await restartStep(this.db, this.operationId, name, this.clock.now()) : await createStep(this.db, this.operationId, name, this.clock.now());
    this.byName.set(name, step);
    return { step, resumed: false };
  }

  private async update(name: string, data: Parameters<typeof updateStep>[3]): Promise<void> {
    this.byName.set(name, await updateStep(this.db, this.operationId, name, data));
  }

  recordAction(name: string, actionId: number): Promise<void> {
    return this.update(name, { hetznerActionId: BigInt(actionId), status: 'running' });
  }

  /** A failed step forgets its action, so the next attempt starts it over with a new one. */
  fail(name: string, detail: string): Promise<void> {
    return this.update(name, { hetznerActionId: null, status: 'failed', detail });
  }

  async succeed(name: string, detail: string): Promise<void> {
    if (!this.byName.has(name)) await this.begin(name);
    await this.update(name, { status: 'succeeded', detail, finishedAt: this.clock.now() });
  }

  async skip(name: string, detail: string): Promise<void> {
    await this.begin(name);
    await this.update(name, { status: 'skipped', detail, finishedAt: this.clock.now() });
  }
}

/** Hetzner answers that mean the command was not carried out at all. */
const REFUSED = new Set(['rate_limit_exceeded', 'locked']);

export interface ActionRequest {
  step: string;
  serverId: number;
  command: CloudActionCommand;
  /** Sends the command; null means there is nothing to do (deleting a server already gone). */
  send: () => Promise<CloudAction | null>;
}

/** An action of a step: its id, and Hetzner's answer when it was sent (or adopted) just now. */
export interface SentAction {
  id: number;
  answer: CloudAction | null;
}

/**
 * Sends a Hetzner action as a step, at most once per operation. A recorded action id is kept.
 * A step an earlier attempt began without recording one (its worker died between sending and
 * recording) adopts the action of that command the server's history shows since the step
 * began, running or finished; only when there is none is the command sent. Null when `send`
 * found nothing to do.
 */
export async function sendAction(run: Run, { step, serverId, command, send }: ActionRequest): Promise<SentAction | null> {
  const recorded = run.steps.get(step);
  if (run.steps.isFinished(step)) return recorded?.hetznerActionId == null ? null : { id: Number(recorded.hetznerActionId), answer: null };
  const { step: row, resumed } = await run.steps.begin(step);
  if (row.hetznerActionId !== null) return { id: Number(row.hetznerActionId), answer: null };
  const adopted = resumed ? (await run.deps.cloud.actionsSince(serverId, command, row.startedAt))[0] : undefined;
  if (adopted) run.log.info({ step, serverId, actionId: adopted.id }, 'adopted the action an interrupted attempt sent');
  const answer = adopted ?? (await send().catch(async (error: unknown) => {
    // Refused outright (429, 423): nothing was sent, so the next attempt need not look for it.
    if (isLifecycleError(error) && REFUSED.has(error.code)) await run.steps.fail(step, `refused: ${error.code}`);
    throw error;
  }));
  if (answer === null) {
    await run.steps.succeed(step, 'nothing to do: already gone');
    return null;
  }
  await run.steps.recordAction(step, answer.id);
  return { id: answer.id, answer };
}

/**
 * A power action (shutdown, poweroff, poweron) on the agent's server, sent as a step. Hetzner
 * answers one on a deleted server with 404: the agent cannot change power state any more.
 */
export async function sendPowerAction(run: Run, request: ActionRequest & { send: () => Promise<CloudAction> }): Promise<SentAction> {
  try {
    const sent = await sendAction(run, request);
    if (!sent) throw new Error(`${request.command} answered nothing`);
    return sent;
  } catch (error) {
    if (!isLifecycleError(error) || error.code !== 'not_found') throw error;
    throw new PermanentError('server_not_found', `Hetzner server ${request.serverId} no longer exists; the agent cannot change power state.`);
  }
}

/**
 * Waits (stepping aside, see waits.ts) until the step's action finished, and ends the step.
 * A failed action fails the step, so the next attempt sends the command again, unless Hetzner
 * says sending it again cannot help.
 */
export async function completeAction(run: Run, step: string, sent: SentAction, progress: string): Promise<void> {
  if (run.steps.isFinished(step)) return;
  const known = sent.answer && sent.answer.status !== 'running' ? { action: sent.answer } : undefined;
  const outcome = known ?? (await awaitAction(run, step, sent.id, progress));
  if (outcome === 'timeout') {
    // The step keeps its action: the next attempt waits on the same one.
    throw new RetryableError('timeout', `Hetzner action ${sent.id} (${step}) is still running after ${Math.round(run.deps.settings.actionTimeoutMs / 60_000)} minutes`);
  }
  const { action } = outcome;
  if (action?.status === 'success') {
    await run.steps.succeed(step, `action ${sent.id} succeeded`);
    return;
  }
  const reason = action ? `${step} action ${sent.id} failed: ${action.error?.code ?? 'error'} ${action.error?.message ?? ''}`.trim() : `${step} action ${sent.id} is unknown to Hetzner`;
  await run.steps.fail(step, reason);
  // The retry sends the command again after its backoff; the answered wait must not wake it sooner.
  await removeCloudWait(run.deps.db, run.operation.id);
  if (action?.error && !action.error.retryable) throw new PermanentError(action.error.code, `Hetzner ${reason}`);
  throw new RetryableError('action_failed', `Hetzner ${reason}`);
}
