// Producer side of the job table: validates a payload, adds the job with its attempts and
// backoff under the operation's job id, wakes a job that stepped aside, and reads jobs back.
import { Queue, type Job } from 'bullmq';
import type Redis from 'ioredis';
import { CAPPED_BACKOFF, QUEUE_NAMES, type JobName, type JobPolicies, type JobPolicy, type QueueName } from './catalog';

export interface JobQueuesOptions {
  connection: Redis;
  prefix: string;
  /** The job table (packages/lifecycle's JOB_TABLE): which queue, payload and retries each job has. */
  jobs: JobPolicies;
  /** Multiplies every retry backoff; tests make retries quick. */
  backoffScale?: number;
  /** Where a queue's Redis errors go (they would otherwise be printed raw). */
  onError?: (queue: QueueName, error: Error) => void;
}

const LIVE_STATES = new Set(['waiting', 'active', 'delayed', 'prioritized', 'waiting-children']);

/** The BullMQ job id of an operation's job: the operation id, so adding it twice adds it once. */
export const jobIdFor = (operationId: string): string => operationId;

export class JobQueues {
  readonly queues: Record<QueueName, Queue>;
  private readonly backoffScale: number;

  constructor(private readonly options: JobQueuesOptions) {
    this.backoffScale = options.backoffScale ?? 1;
    this.queues = Object.fromEntries(
      QUEUE_NAMES.map((name) => {
        const queue = new Queue(name, { connection: options.connection, prefix: options.prefix });
        if (options.onError) queue.on('error', (error) => options.onError?.(name, error));
        return [name, queue];
      }),
    ) as Record<QueueName, Queue>;
  }

  private policy(name: JobName): JobPolicy {
    const policy = Object.hasOwn(this.options.jobs, name) ? this.options.jobs[name] : undefined;
    if (!policy) throw new Error(`No job ${name} in the job table`);
    return policy;
  }

  queueOf(name: JobName): Queue {
    return this.queues[this.policy(name).queue];
  }

  /** Adds the job for an operation; adding it again while it exists is a no-op (same job id). */
  async enqueue(name: JobName, operationId: string, options: { delayMs?: number } = {}): Promise<void> {
    const policy = this.policy(name);
    const data = policy.payload.parse({ operationId });
    await this.queues[policy.queue].add(name, data, {
      jobId: jobIdFor(operationId),
      attempts: policy.attempts,
      backoff: { type: CAPPED_BACKOFF, delay: Math.round(policy.backoffMs * this.backoffScale) },
      delay: options.delayMs,
      removeOnComplete: { age: 7 * 24 * 3600, count: 5_000 },
      removeOnFail: { age: 30 * 24 * 3600 },
    });
  }

  async getJob(name: JobName, operationId: string): Promise<Job | undefined> {
    return (await this.queueOf(name).getJob(jobIdFor(operationId))) ?? undefined;
  }

  /** Whether the operation's job is waiting, delayed or running somewhere. */
  async hasLiveJob(name: JobName, operationId: string): Promise<boolean> {
    const job = await this.getJob(name, operationId);
    return job !== undefined && LIVE_STATES.has(await job.getState());
  }

  /**
   * Runs a job that stepped aside now rather than at its delay. False when it is not
   * delayed (it already woke up, or is still on its way into the delayed set).
   */
  async wake(name: JobName, operationId: string): Promise<boolean> {
    const job = await this.getJob(name, operationId);
    if (!job) return false;
    try {
      await job.promote();
      return true;
    } catch (error) {
      if ((await job.getState()) !== 'delayed') return false;
      throw error;
    }
  }

  /**
   * Puts the operation's job back in line: a finished job under the same id is retried
   * (BullMQ will not add a second job with that id), a missing one is added anew.
   */
  async requeue(name: JobName, operationId: string): Promise<void> {
    const job = await this.getJob(name, operationId);
    if (job === undefined) return this.enqueue(name, operationId);
    const state = await job.getState();
    if (state === 'failed' || state === 'completed') await job.retry(state, { resetAttemptsMade: true, resetAttemptsStarted: true });
  }

  async close(): Promise<void> {
    await Promise.all(Object.values(this.queues).map((queue) => queue.close()));
  }
}

/**
 * BullMQ's backoff strategy for CAPPED_BACKOFF: the first delay doubled on every attempt,
 * never above the job's `maxBackoffMs` (scaled like its first delay), with a little jitter
 * so many jobs failing together do not come back together.
 */
export function cappedBackoff(jobs: JobPolicies) {
  return (attemptsMade: number, _type?: string, _error?: Error, job?: Pick<Job, 'name' | 'opts'>): number => {
    const first = job?.opts.backoff && typeof job.opts.backoff === 'object' ? (job.opts.backoff.delay ?? 0) : 0;
    const policy = job && Object.hasOwn(jobs, job.name) ? jobs[job.name] : undefined;
    const cap = policy && policy.backoffMs > 0 ? first * (policy.maxBackoffMs / policy.backoffMs) : first;
    const delay = Math.min(cap, first * 2 ** Math.max(0, attemptsMade - 1));
    return Math.round(delay * (0.9 + Math.random() * 0.2));
  };
}
