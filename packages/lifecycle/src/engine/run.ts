// The context one job of an operation runs in: the operation with its agent, instance and
// steps as stored, the adapters and settings, and `finish`, which ends the operation and
// applies its effect on the agent in one transaction.
import type { AgentStatus, Db, InstanceStatus, OperationRun, ProvisioningJobStatus, SuspendedBy } from '@agent-lifecycle/db';
import type { JobName } from '@agent-lifecycle/jobs';
import type { Logger } from '@agent-lifecycle/logger';
import type { OperationQueue } from '../records';
import type { Clock, Cloud, Tailnet, Workflows } from '../ports';
import type { JobContext } from './job-context';
import type { Steps } from './steps';

export interface EngineSettings {
  /** How long a stop waits for an ACPI shutdown before powering off. */
  stopGraceMs: number;
  /** Where the provisioning workflow posts its callbacks. */
  callbackUrl: string;
  /** How long an agent lease lasts without renewal (a dead worker's lease lapses). */
  leaseMs: number;
  /** How long to wait before looking again when the agent is busy. */
  turnDelayMs: number;
  /** A provisioning run silent for this long is failed and rolled back. */
  provisioningTimeoutMs: number;
  /** Operations untouched for this long with no live job are re-enqueued by the sweeper. */
  staleOperationMs: number;
  /** Multiplies the cloud watcher's poll intervals; tests make polls quick. */
  pollScale: number;
  /** A Hetzner action still running after this long is treated as a passing fault. */
  actionTimeoutMs: number;
  /** A job that stepped aside looks at its wait at least this often, even if nobody wakes it. */
  maxParkMs: number;
  /** Operations unfinished this long after they were accepted count as stuck. */
  stuckAfterMs: number;
  /** A failed destroy goes back in line after this, doubled per retry up to `destroyRetryMaxMs`. */
  destroyRetryMs: number;
  destroyRetryMaxMs: number;
}

/** The producer port, plus waking a job that stepped aside. */
export interface EngineQueue extends OperationQueue {
  wake(name: JobName, operationId: string): Promise<boolean>;
}

/** What the engine tells metrics about operations ending. */
export interface EngineObserver {
  operationEnded(kind: string, outcome: 'succeeded' | 'failed' | 'skipped' | 'superseded'): void;
}

export interface EngineDeps {
  db: Db;
  queue: EngineQueue;
  cloud: Cloud;
  tailnet: Tailnet;
  workflows: Workflows;
  clock: Clock;
  logger: Logger;
  settings: EngineSettings;
  observer?: EngineObserver;
}

export interface Finish {
  status: 'succeeded' | 'skipped';
  reason?: string;
  agent?: { status: AgentStatus; suspendedBy?: SuspendedBy | null };
  instance?: { status: InstanceStatus };
  provisioningJob?: { status: ProvisioningJobStatus };
}

export interface Run {
  operation: OperationRun;
  steps: Steps;
  job: JobContext;
  deps: EngineDeps;
  log: Logger;
  /** Ends the operation and applies its effect; returns a summary for the job's result. */
  finish(result: Finish): Promise<string>;
}

/** A use case: carries one operation out (resuming its recorded steps) and finishes it. */
export type UseCase = (run: Run) => Promise<string>;

/** The agent's server as stored, or null for an agent without infrastructure. */
export function serverIdOf(run: Run): number | null {
  const id = run.operation.agent.instance?.serverId;
  return id === null || id === undefined ? null : Number(id);
}
