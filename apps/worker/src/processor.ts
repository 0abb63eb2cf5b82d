// Turns a BullMQ job into a lookup in the job table and the handler's answer into a BullMQ
// outcome: a job stepping aside moves to the delayed set (no slot held, no attempt used), a
// rate limit pauses the whole queue until the reset, a permanent error fails the job at once,
// anything else is retried.
import { DelayedError, RateLimitError, UnrecoverableError, type Job } from 'bullmq';
import { RateLimitedError, isLifecycleError } from '@agent-lifecycle/errors';
import type { JobName } from '@agent-lifecycle/jobs';
import { StepAside, jobDefinition, type Engine, type JobContext } from '@agent-lifecycle/lifecycle';
import type { JobOutcome } from './worker-metrics';

function contextOf(job: Job, name: JobName): JobContext {
  return {
    name,
    attempt: job.attemptsMade + 1,
    maxAttempts: job.opts.attempts ?? 1,
    async report(percent, message) {
      await job.updateProgress({ percent, message });
      await job.log(`${new Date().toISOString()} ${message}`);
    },
  };
}

const isInvalidPayload = (error: unknown) => error instanceof Error && error.name === 'ZodError';

export interface ProcessorOptions {
  engine: Engine;
  /** The worker's `rateLimit`: no job of the queue starts before it ends. */
  pauseQueue(ms: number): Promise<void>;
  onJobEnded?(job: string, outcome: JobOutcome, seconds: number, code?: string): void;
}

export interface Processor {
  (job: Job, token?: string): Promise<unknown>;
  /** Resolves when the jobs running now have ended (a forced close abandons them to BullMQ, not to us). */
  settled(): Promise<void>;
}

export function createProcessor(options: ProcessorOptions): Processor {
  const running = new Set<Promise<unknown>>();
  const processor = (job: Job, token?: string) => {
    const run = processJob(options, job, token);
    running.add(run);
    void run.finally(() => running.delete(run)).catch(() => undefined);
    return run;
  };
  return Object.assign(processor, { settled: async () => void (await Promise.allSettled([...running])) });
}

async function processJob({ engine, pauseQueue, onJobEnded }: ProcessorOptions, job: Job, token?: string): Promise<unknown> {
  const definition = jobDefinition(job.name);
  if (!definition) throw new UnrecoverableError(`unknown job name ${job.name}`);
  const started = performance.now();
  const ended = (outcome: JobOutcome, code?: string) => onJobEnded?.(job.name, outcome, (performance.now() - started) / 1000, code);
  try {
    const result = await definition.handle(engine, job.data, contextOf(job, job.name as JobName));
    ended('completed');
    return result;
  } catch (error) {
    if (error instanceof StepAside) {
      await job.log(`${new Date().toISOString()} ${error.reason}; back by ${error.until.toISOString()} at the latest`);
      // A wake-up that comes before the job is in the delayed set is repeated by the watcher.
      await job.moveToDelayed(error.until.getTime(), token);
      ended('delayed');
      throw new DelayedError();
    }
    if (error instanceof RateLimitedError) {
      const waitMs = Math.max(error.retryAfterMs ?? 1_000, 1);
      await job.log(`${new Date().toISOString()} Hetzner rate limit reached; the queue pauses ${Math.ceil(waitMs / 1000)} s until the budget has room again`);
      await pauseQueue(waitMs);
      ended('retried', error.code);
      throw new RateLimitError();
    }
    const code = isLifecycleError(error) ? error.code : isInvalidPayload(error) ? 'invalid_payload' : 'internal_error';
    if (isInvalidPayload(error)) {
      ended('failed', code);
      throw new UnrecoverableError(`invalid payload for ${job.name}: ${(error as Error).message}`);
    }
    if (isLifecycleError(error) && error.kind === 'permanent') {
      ended('failed', code);
      throw new UnrecoverableError(`${error.code}: ${error.message}`);
    }
    ended(job.attemptsMade + 1 < (job.opts.attempts ?? 1) ? 'retried' : 'failed', code);
    throw error;
  }
}
