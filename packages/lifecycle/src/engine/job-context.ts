// What a running job tells the engine (its attempt) and lets it do (report progress),
// and the signal the engine gives back when the agent is busy and the job must wait.

export interface JobContext {
  /** 1 for the first attempt. */
  attempt: number;
  maxAttempts: number;
  /** Progress (0-100) and a line for operators, shown in Bull Board. */
  report(progress: number, message: string): Promise<void>;
}

/** The agent is held by an earlier operation: wait and try again; not a failed attempt. */
export class WaitForTurn extends Error {
  constructor(
    readonly delayMs: number,
    readonly reason: string,
  ) {
    super(reason);
    this.name = 'WaitForTurn';
  }
}
