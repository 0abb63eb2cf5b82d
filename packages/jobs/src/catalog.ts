// The words of the job table (packages/lifecycle declares the table itself): the queues,
// what a job's policy says (queue, payload schema, retries), and the names of the jobs.
import { z } from 'zod';

export const HETZNER_QUEUE = 'hetzner';
export const TAILSCALE_QUEUE = 'tailscale';
export const GITHUB_QUEUE = 'github';
export const MAINTENANCE_QUEUE = 'maintenance';

export const QUEUE_NAMES = [HETZNER_QUEUE, TAILSCALE_QUEUE, GITHUB_QUEUE, MAINTENANCE_QUEUE] as const;
export type QueueName = (typeof QUEUE_NAMES)[number];

/**
 * The jobs the application declares. Its job table adds its names here (declaration
 * merging), so `JobName` is exactly the table's keys wherever the table is compiled in,
 * while this package stays below the one that declares the handlers.
 */
// eslint-disable-next-line @typescript-eslint/no-empty-object-type
export interface JobRegistry {}
export type JobName = Extract<keyof JobRegistry, string>;

/** Every job of an operation carries only its id: the operation row holds the rest. */
export const operationPayload = z.object({ operationId: z.string().min(1).max(64) }).strict();
export type OperationPayload = z.infer<typeof operationPayload>;
/** Scheduled jobs take nothing. */
export const emptyPayload = z.object({}).strict();

/** What a producer needs to know about a job: where it goes and how it is retried. */
export interface JobPolicy {
  queue: QueueName;
  payload: z.ZodType<object>;
  /** BullMQ attempts; retryable errors use them up, permanent errors end the job at once. */
  attempts: number;
  /** First retry delay (ms), doubled on every attempt up to `maxBackoffMs`. */
  backoffMs: number;
  maxBackoffMs: number;
}

export type JobPolicies = Record<string, JobPolicy>;

/** The BullMQ backoff type of every job: exponential, capped (see `cappedBackoff`). */
export const CAPPED_BACKOFF = 'capped-exponential';
