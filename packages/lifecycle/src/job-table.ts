// The one job table: every job the workers run, with its queue, payload schema, retries and
// handler, and each queue's concurrency. The ingress enqueues from it (through JobQueues),
// the worker's processor is a lookup in it, and the maintenance schedules are read from it.
// Adding a job means adding its line here and writing its handler.
import {
  GITHUB_QUEUE,
  HETZNER_QUEUE,
  MAINTENANCE_QUEUE,
  emptyPayload,
  operationPayload,
  type JobPolicy,
  type QueueName,
} from '@agent-lifecycle/jobs';
import type { Engine } from './engine/engine';
import { destroyAgent } from './engine/destroy-agent';
import { dispatchProvisioning } from './engine/dispatch-provisioning';
import type { JobContext } from './engine/job-context';
import { rollbackProvisioning } from './engine/rollback-provisioning';
import type { UseCase } from './engine/run';
import { startAgent } from './engine/start-agent';
import { stopAgent } from './engine/stop-agent';

export interface JobDefinition extends JobPolicy {
  description: string;
  /** A maintenance job runs on this schedule (ms) in the processes serving its queue. */
  everyMs?: number;
  /** Runs the job: `data` is the job's payload, checked against `payload` here. */
  handle(engine: Engine, data: unknown, job: JobContext): Promise<unknown>;
}

/** Jobs running slots at once per worker process. Waiting on the cloud holds no slot. */
export const QUEUE_CONCURRENCY: Record<QueueName, number> = { hetzner: 50, tailscale: 10, github: 5, maintenance: 1 };

const SECOND = 1_000;
const MINUTE = 60 * SECOND;

/** A job carrying out one operation with its use case. */
function operationJob(options: Pick<JobPolicy, 'queue' | 'attempts' | 'backoffMs' | 'maxBackoffMs'> & { description: string; useCase: UseCase }): JobDefinition {
  const { useCase, ...policy } = options;
  return {
    ...policy,
    payload: operationPayload,
    handle: async (engine, data, job) => engine.runOperation(operationPayload.parse(data).operationId, job, useCase),
  };
}

/** A job of the maintenance queue, run every `everyMs` by a BullMQ job scheduler. */
function maintenanceJob(options: { description: string; everyMs: number; handle: (engine: Engine) => Promise<unknown> }): JobDefinition {
  return {
    queue: MAINTENANCE_QUEUE,
    payload: emptyPayload,
    attempts: 1,
    backoffMs: 0,
    maxBackoffMs: 0,
    description: options.description,
    everyMs: options.everyMs,
    handle: async (engine, data) => {
      emptyPayload.parse(data);
      return options.handle(engine);
    },
  };
}

const power = { queue: HETZNER_QUEUE, attempts: 8, backoffMs: 2 * SECOND, maxBackoffMs: 2 * MINUTE } as const;

export const JOB_TABLE = {
  'agent.stop': operationJob({ ...power, useCase: stopAgent, description: 'ACPI shutdown; poweroff when the guest ignores it for the grace' }),
  'agent.suspend': operationJob({ ...power, useCase: stopAgent, description: "billing's stop" }),
  'agent.start': operationJob({ ...power, useCase: startAgent, description: 'power the server on, unless billing forbids it by now' }),
  'agent.resume': operationJob({ ...power, useCase: startAgent, description: "billing's start" }),
  // A destroy that runs out of attempts is put back in line by the sweeper, less often each time.
  'agent.destroy': operationJob({ queue: HETZNER_QUEUE, attempts: 10, backoffMs: 2 * SECOND, maxBackoffMs: 5 * MINUTE, useCase: destroyAgent, description: 'delete the servers, then the Tailscale devices, then finish' }),
  'provisioning.rollback': operationJob({ queue: HETZNER_QUEUE, attempts: 10, backoffMs: 2 * SECOND, maxBackoffMs: 5 * MINUTE, useCase: rollbackProvisioning, description: 'delete what a failed provisioning run left behind' }),
  'agent.provision': operationJob({ queue: GITHUB_QUEUE, attempts: 6, backoffMs: 5 * SECOND, maxBackoffMs: 5 * MINUTE, useCase: dispatchProvisioning, description: 'dispatch the provisioning workflow' }),
  'operations.sweep': maintenanceJob({ everyMs: 10 * SECOND, handle: (engine) => engine.sweep(), description: 're-enqueue lost operations, time out provisioning, retry failed destroys' }),
  'cloud.reconcile': maintenanceJob({ everyMs: 5 * MINUTE, handle: (engine) => engine.reconcile(), description: 'delete orphans, follow power drift, enforce billing' }),
} satisfies Record<string, JobDefinition>;

declare module '@agent-lifecycle/jobs' {
  // The table's names are the job names (see JobRegistry in packages/jobs).
  // eslint-disable-next-line @typescript-eslint/no-empty-object-type
  interface JobRegistry extends Record<keyof typeof JOB_TABLE, true> {}
}

export type JobTableName = keyof typeof JOB_TABLE;

/** The table's entry for a BullMQ job name, or undefined for a name it does not have. */
export function jobDefinition(name: string): JobDefinition | undefined {
  return Object.hasOwn(JOB_TABLE, name) ? JOB_TABLE[name as JobTableName] : undefined;
}
