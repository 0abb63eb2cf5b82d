// The job catalog: every queue, every job name (`resource.verb`), its payload schema,
// and how often and how patiently it is retried. The one place to read what runs where.
import { z } from 'zod';

export const HETZNER_QUEUE = 'hetzner';
export const TAILSCALE_QUEUE = 'tailscale';
export const GITHUB_QUEUE = 'github';
export const MAINTENANCE_QUEUE = 'maintenance';

export const QUEUE_NAMES = [HETZNER_QUEUE, TAILSCALE_QUEUE, GITHUB_QUEUE, MAINTENANCE_QUEUE] as const;
export type QueueName = (typeof QUEUE_NAMES)[number];

const operationPayload = z.object({ operationId: z.string().min(1).max(64) }).strict();
export type OperationPayload = z.infer<typeof operationPayload>;
const sweepPayload = z.object({}).strict();

interface JobDefinition {
  queue: QueueName;
  payload: z.ZodType<object>;
  /** BullMQ attempts; retryable errors use them up, permanent errors end the job at once. */
  attempts: number;
  /** First retry delay (ms), doubled on every attempt. */
  backoffMs: number;
  description: string;
}

export const JOBS = {
  'agent.stop': { queue: HETZNER_QUEUE, payload: operationPayload, attempts: 8, backoffMs: 2_000, description: 'ACPI shutdown, poweroff after the grace' },
  'agent.start': { queue: HETZNER_QUEUE, payload: operationPayload, attempts: 8, backoffMs: 2_000, description: 'power the server on' },
  'agent.suspend': { queue: HETZNER_QUEUE, payload: operationPayload, attempts: 8, backoffMs: 2_000, description: "billing's stop" },
  'agent.resume': { queue: HETZNER_QUEUE, payload: operationPayload, attempts: 8, backoffMs: 2_000, description: "billing's start" },
  'agent.destroy': { queue: HETZNER_QUEUE, payload: operationPayload, attempts: 10, backoffMs: 2_000, description: 'delete the server, then hand over to device.remove' },
  'provisioning.rollback': { queue: HETZNER_QUEUE, payload: operationPayload, attempts: 10, backoffMs: 2_000, description: 'delete what a failed provisioning run left, then device.remove' },
  'device.remove': { queue: TAILSCALE_QUEUE, payload: operationPayload, attempts: 10, backoffMs: 2_000, description: 'remove the Tailscale device and finish a destroy or rollback' },
  'agent.provision': { queue: GITHUB_QUEUE, payload: operationPayload, attempts: 6, backoffMs: 5_000, description: 'dispatch the provisioning workflow' },
  'operations.sweep': { queue: MAINTENANCE_QUEUE, payload: sweepPayload, attempts: 1, backoffMs: 0, description: 're-enqueue lost operations, clear lapsed leases, time out provisioning' },
  'cloud.reconcile': { queue: MAINTENANCE_QUEUE, payload: sweepPayload, attempts: 1, backoffMs: 0, description: 'delete orphaned servers and devices, correct power drift' },
} as const satisfies Record<string, JobDefinition>;

export type JobName = keyof typeof JOBS;
export const JOB_NAMES = Object.keys(JOBS) as JobName[];

export function isJobName(name: string): name is JobName {
  return Object.hasOwn(JOBS, name);
}

export function jobsOfQueue(queue: QueueName): JobName[] {
  return JOB_NAMES.filter((name) => JOBS[name].queue === queue);
}

/** BullMQ job id of an operation's job: the operation id itself for its first job. */
export function jobIdFor(name: JobName, operationId: string): string {
  return name === 'device.remove' ? `${operationId}-device` : operationId;
}

export function parsePayload(name: JobName, data: unknown): OperationPayload | Record<string, never> {
  return JOBS[name].payload.parse(data) as OperationPayload | Record<string, never>;
}
