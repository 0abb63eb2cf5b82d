// Simulated time for the cloud simulator: every simulated duration is multiplied by the
// time scale, and every timer is tracked so a reset or close leaves nothing pending.

/** Thrown into pending sleeps when the simulator resets or closes: the waiter should stop quietly. */
export class ClockHalted extends Error {
  constructor() {
    super('simulation halted');
    this.name = 'ClockHalted';
  }
}

export type Cancel = () => void;

export class Clock {
  private readonly timers = new Map<NodeJS.Timeout, () => void>();

  constructor(private scale = 1) {}

  get timeScale(): number {
    return this.scale;
  }

  set timeScale(scale: number) {
    this.scale = scale;
  }

  /** Wall-clock now; simulated durations are scaled, the calendar is not. */
  now(): Date {
    return new Date();
  }

  /** Real milliseconds a simulated duration takes at the current time scale. */
  toRealMs(simulatedMs: number): number {
    return Math.max(0, simulatedMs * this.scale);
  }

  /** Runs `fn` after a simulated duration; returns a cancel function. */
  after(simulatedMs: number, fn: () => void): Cancel {
    return this.afterReal(this.toRealMs(simulatedMs), fn);
  }

  /** Runs `fn` after real milliseconds (fault latency, network timeouts). */
  afterReal(realMs: number, fn: () => void): Cancel {
    const timer = setTimeout(() => {
      this.timers.delete(timer);
      fn();
    }, realMs);
    this.timers.set(timer, () => undefined);
    return () => {
      clearTimeout(timer);
      this.timers.delete(timer);
    };
  }

  /** Resolves after a simulated duration; rejects with ClockHalted if the clock halts first. */
  sleep(simulatedMs: number): Promise<void> {
    return this.sleepReal(this.toRealMs(simulatedMs));
  }

  sleepReal(realMs: number): Promise<void> {
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => {
        this.timers.delete(timer);
        resolve();
      }, realMs);
      this.timers.set(timer, () => reject(new ClockHalted()));
    });
  }

  /** Clears every pending timer and fails every pending sleep. */
  haltAll(): void {
    const pending = [...this.timers];
    this.timers.clear();
    for (const [timer, onHalt] of pending) {
      clearTimeout(timer);
      onHalt();
    }
  }

  get pendingTimers(): number {
    return this.timers.size;
  }
}
