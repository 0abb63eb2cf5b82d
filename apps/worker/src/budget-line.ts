// One line per worker process in front of the Hetzner budget every process shares: only the
// request at the head of the line asks Redis for a token, so a crowd of waiting requests does
// not stampede the budget, and the cloud watcher's polls, each of which may settle fifty
// operations, go before the actions. (The watcher paces itself so actions still get most.)
import type { RateBudget } from '@agent-lifecycle/hetzner';

export interface BudgetLine {
  /** The budget as the operations' actions take from it. */
  forActions: RateBudget;
  /** The budget as the cloud watcher takes from it: ahead of the actions waiting. */
  forWatcher: RateBudget;
}

type Waiter = (error?: unknown) => void;

/** `onWait` hears how long each request waited, in line and for its token. */
export function createBudgetLine(budget: RateBudget, onWait?: (ms: number) => void): BudgetLine {
  const lanes: Record<'watcher' | 'actions', Waiter[]> = { watcher: [], actions: [] };
  let serving = false;

  async function serve(): Promise<void> {
    if (serving) return;
    serving = true;
    try {
      for (let next = lanes.watcher.shift() ?? lanes.actions.shift(); next; next = lanes.watcher.shift() ?? lanes.actions.shift()) {
        try {
          await budget.take();
          next();
        } catch (error) {
          next(error);
        }
      }
    } finally {
      serving = false;
    }
  }

  const lane = (name: 'watcher' | 'actions'): RateBudget => ({
    async take() {
      const started = performance.now();
      await new Promise<void>((resolve, reject) => {
        lanes[name].push((error) => (error === undefined ? resolve() : reject(error)));
        void serve();
      });
      onWait?.(performance.now() - started);
    },
    pauseUntil: (resetAt) => budget.pauseUntil(resetAt),
  });
  return { forActions: lane('actions'), forWatcher: lane('watcher') };
}
