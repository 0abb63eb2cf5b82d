// Producer side of the catalog: validates a payload, adds the job with its catalog
// attempts and backoff under the operation's job id, and reads jobs back for the sweeper.
import { Queue, type Job } from 'bullmq';
import type Redis from 'ioredis';
import { JOBS, QUEUE_NAMES, jobIdFor, parsePayload, type JobName, type QueueName } from './catalog';

export interface JobQueuesOptions {
  connection: Redis;
  prefix: string;
  /** Multiplies every retry backoff; tests make retries quick. */
  backoffScale?: number;
}

const LIVE_STATES = new Set(['waiting', 'active', 'delayed', 'prioritized', 'waiting-children']);

export class JobQueues {
  readonly queues: Record<QueueName, Queue>;
  private readonly backoffScale: number;

  constructor(private readonly options: JobQueuesOptions) {
    this.backoffScale = options.backoffScale ?? 1;
    this.queues = Object.fromEntries(
      QUEUE_NAMES.map((name) => [name, new Queue(name, { connection: options.connection, prefix: options.prefix })]),
    ) as Record<QueueName, Queue>;
  }

  queueOf(name: JobName): Queue {
    return this.queues[JOBS[name].queue];
  }

  /** Adds the job for an operation; adding it again while it exists is a no-op (same job id). */
  async enqueue(name: JobName, operationId: string, options: { delayMs?: number } = {}): Promise<void> {
    const data = parsePayload(name, { operationId });
    const definition = JOBS[name];
    await this.queueOf(name).add(name, data, {
      jobId: jobIdFor(name, operationId),
      attempts: definition.attempts,
      backoff: { type: 'exponential', delay: Math.round(definition.backoffMs * this.backoffScale) },
      delay: options.delayMs,
      removeOnComplete: { age: 7 * 24 * 3600, count: 5_000 },
      removeOnFail: { age: 30 * 24 * 3600 },
    });
  }

  async getJob(name: JobName, operationId: string): Promise<Job | undefined> {
    return (await this.queueOf(name).getJob(jobIdFor(name, operationId))) ?? undefined;
  }

  /** Whether the operation's job is waiting, delayed or running somewhere. */
  async hasLiveJob(name: JobName, operationId: string): Promise<boolean> {
    const job = await this.getJob(name, operationId);
    return job !== undefined && LIVE_STATES.has(await job.getState());
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
