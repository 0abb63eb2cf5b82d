// Turns a BullMQ job into an engine call and the engine's answers into BullMQ outcomes:
// a busy agent delays the job (no attempt used), a rate limit pauses the whole queue until
// the reset, a permanent error fails the job at once, anything else is retried.
import { DelayedError, RateLimitError, UnrecoverableError, type Job } from 'bullmq';
import { RateLimitedError, isLifecycleError } from '@agent-lifecycle/errors';
import { isJobName, parsePayload } from '@agent-lifecycle/jobs';
import { WaitForTurn, type Engine, type JobContext } from '@agent-lifecycle/lifecycle';

function contextOf(job: Job): JobContext {
  return {
    attempt: job.attemptsMade + 1,
    maxAttempts: job.opts.attempts ?? 1,
    async report(percent, message) {
      await job.updateProgress({ percent, message });
      await job.log(`${new Date().toISOString()} ${message}`);
    },
  };
}

/** `pauseQueue` is the worker's `rateLimit`: no job of the queue starts before it ends. */
export function createProcessor(engine: Engine, pauseQueue: (ms: number) => Promise<void>) {
  return async function process(job: Job, token?: string): Promise<unknown> {
    if (!isJobName(job.name)) throw new UnrecoverableError(`unknown job name ${job.name}`);
    let payload;
    try {
      payload = parsePayload(job.name, job.data);
    } catch (error) {
      throw new UnrecoverableError(`invalid payload for ${job.name}: ${(error as Error).message}`);
    }
    if (job.name === 'operations.sweep') return engine.sweep();
    if (job.name === 'cloud.reconcile') return engine.reconcile();
    if (!('operationId' in payload)) throw new UnrecoverableError(`${job.name} needs an operationId`);
    const context = contextOf(job);
    try {
      return await engine.run(job.name, payload.operationId, context);
    } catch (error) {
      if (error instanceof WaitForTurn) {
        await job.log(`${new Date().toISOString()} ${error.reason}; looking again in ${error.delayMs} ms`);
        await job.moveToDelayed(Date.now() + error.delayMs, token);
        throw new DelayedError();
      }
      if (error instanceof RateLimitedError) {
        const waitMs = Math.max(error.retryAfterMs ?? 1_000, 1);
        await job.log(`${new Date().toISOString()} Hetzner rate limit reached; the queue pauses ${Math.ceil(waitMs / 1000)} s until the budget resets`);
        await pauseQueue(waitMs);
        throw new RateLimitError();
      }
      if (isLifecycleError(error) && error.kind === 'permanent') throw new UnrecoverableError(`${error.code}: ${error.message}`);
      throw error;
    }
  };
}
