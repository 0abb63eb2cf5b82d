// What a running job tells the engine (which job it is, its attempt) and lets it do (report
// progress), and the signal the engine gives back when the job must step aside for a while:
// its agent is busy, or it waits on the cloud and should not hold a worker slot meanwhile.
import type { JobName } from '@agent-lifecycle/jobs';

export interface JobContext {
  name: JobName;
  /** 1 for the first attempt. */
  attempt: number;
  maxAttempts: number;
  /** Progress (0-100) and a line for operators, shown in Bull Board. */
  report(progress: number, message: string): Promise<void>;
}

/**
 * Not a failure: the job leaves its slot and runs again at `until` at the latest (BullMQ's
 * delayed set), or earlier when the cloud watcher wakes it.
 */
export class StepAside extends Error {
  constructor(
    readonly until: Date,
    readonly reason: string,
  ) {
    super(reason);
    this.name = 'StepAside';
  }
}
