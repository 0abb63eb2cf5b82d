// Hetzner actions: asynchronous tasks with `running → success|error` and a progress that
// grows with simulated time; a server with a running action is locked for new ones.
import type { Clock } from '../clock';
import { ClockHalted } from '../clock';

export type ActionStatus = 'running' | 'success' | 'error';

export interface ActionResource {
  id: number;
  type: 'server' | 'image';
}

export interface ActionError {
  code: string;
  message: string;
}

/** What an action changes when it ends: on success, or (for a failing one) on error. */
export interface ActionEffects {
  onSuccess?: () => void;
  onError?: () => void;
  /** While this holds when the action is due, it stays running (a stall), and ends once it no longer does. */
  holdWhile?: () => boolean;
}

export interface SimAction {
  id: number;
  command: string;
  status: ActionStatus;
  started: Date;
  finished: Date | null;
  resources: ActionResource[];
  error: ActionError | null;
  /** Real milliseconds the action runs, for its progress. */
  realDurationMs: number;
}

export interface ActionJson {
  id: number;
  command: string;
  status: ActionStatus;
  progress: number;
  started: string;
  finished: string | null;
  resources: ActionResource[];
  error: ActionError | null;
}

export function hetznerTime(date: Date): string {
  return date.toISOString().replace(/\.\d{3}Z$/, '+00:00');
}

/** The fields `?sort=` accepts for actions. */
export const actionSortFields = {
  id: (a: SimAction, b: SimAction) => a.id - b.id,
  command: (a: SimAction, b: SimAction) => a.command.localeCompare(b.command),
  status: (a: SimAction, b: SimAction) => a.status.localeCompare(b.status),
  started: (a: SimAction, b: SimAction) => a.started.getTime() - b.started.getTime(),
  finished: (a: SimAction, b: SimAction) => (a.finished?.getTime() ?? Infinity) - (b.finished?.getTime() ?? Infinity),
};

interface Waiter {
  resolve: (action: SimAction) => void;
  reject: (error: Error) => void;
}

export class ActionStore {
  private actions = new Map<number, SimAction>();
  private waiters = new Map<number, Waiter[]>();
  // Ids as large as today's (around 6×10^14: above 2^32, below 2^53), counting on across
  // resets so an old id never names a new action.
  private nextId = 612_000_000_000_001;

  /** `failure(command)` decides, as each action starts, whether it will end in error. */
  constructor(
    private readonly clock: Clock,
    private readonly failure: (command: string) => ActionError | null = () => null,
  ) {}

  /**
   * Starts an action on a server (or on the resources given); after `simulatedMs` it ends
   * in success and applies `onSuccess`, or, when configured to fail, in error and `onError`.
   */
  start(command: string, target: number | ActionResource[], simulatedMs: number, effects: ActionEffects = {}): SimAction {
    const failure = this.failure(command);
    const action: SimAction = {
      id: this.nextId++,
      command,
      status: 'running',
      started: this.clock.now(),
      finished: null,
      resources: typeof target === 'number' ? [{ id: target, type: 'server' }] : target.map((r) => ({ ...r })),
      error: null,
      realDurationMs: this.clock.toRealMs(simulatedMs),
    };
    this.actions.set(action.id, action);
    const finish = (): void => {
      if (effects.holdWhile?.()) {
        this.clock.after(Math.max(simulatedMs / 10, 100), finish);
        return;
      }
      action.finished = this.clock.now();
      if (failure) {
        action.status = 'error';
        action.error = { ...failure };
        effects.onError?.();
      } else {
        action.status = 'success';
        effects.onSuccess?.();
      }
      this.settle(action);
    };
    this.clock.after(simulatedMs, finish);
    return action;
  }

  get(id: number): SimAction | undefined {
    return this.actions.get(id);
  }

  all(): SimAction[] {
    return [...this.actions.values()];
  }

  forServer(serverId: number): SimAction[] {
    return this.all().filter((a) => a.resources.some((r) => r.type === 'server' && r.id === serverId));
  }

  /** The action currently holding the server's lock, if any. */
  runningOn(serverId: number): SimAction | undefined {
    return this.forServer(serverId).find((a) => a.status === 'running');
  }

  /** Actions of an image (its create_image). */
  forImage(imageId: number): SimAction[] {
    return this.all().filter((a) => a.resources.some((r) => r.type === 'image' && r.id === imageId));
  }

  /** Resolves when the action has finished; rejects with ClockHalted on reset or close. */
  settled(id: number): Promise<SimAction> {
    const action = this.actions.get(id);
    if (!action) return Promise.reject(new Error(`unknown action ${id}`));
    if (action.status !== 'running') return Promise.resolve(action);
    return new Promise((resolve, reject) => {
      this.waiters.set(id, [...(this.waiters.get(id) ?? []), { resolve, reject }]);
    });
  }

  toJson(action: SimAction): ActionJson {
    const elapsed = this.clock.now().getTime() - action.started.getTime();
    const progress = action.status !== 'running' ? 100 : action.realDurationMs <= 0 ? 99 : Math.min(99, Math.floor((elapsed / action.realDurationMs) * 100));
    return {
      id: action.id,
      command: action.command,
      status: action.status,
      progress,
      started: hetznerTime(action.started),
      finished: action.finished ? hetznerTime(action.finished) : null,
      resources: action.resources.map((r) => ({ ...r })),
      error: action.error,
    };
  }

  /** Forgets every action; pending waiters learn the simulation halted. Timers are the clock's to clear. */
  reset(): void {
    const waiters = [...this.waiters.values()].flat();
    this.actions = new Map();
    this.waiters = new Map();
    for (const waiter of waiters) waiter.reject(new ClockHalted());
  }

  private settle(action: SimAction): void {
    const waiters = this.waiters.get(action.id) ?? [];
    this.waiters.delete(action.id);
    for (const waiter of waiters) waiter.resolve(action);
  }
}
