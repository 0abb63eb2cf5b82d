// The cloud watcher: one loop, in whichever worker process holds the watcher lease, polls
// what every parked operation waits for in as few Hetzner requests as the API allows (running
// actions by `GET /actions?id=…`, 50 ids a request; awaited server statuses by one label-
// selector list of up to 50 agents), records what it saw and wakes the jobs. Each wait is
// polled less often the longer it lasts, and polling has an allowance of its own: a share of
// the Hetzner budget every worker shares, so over time the actions get the rest.
import {
  listOpenCloudWaits,
  listUnclaimedCloudWaits,
  nextCloudWaitPollAt,
  postponeCloudWaits,
  recordCloudWaitsObserved,
  type CloudWait,
  type CloudWaitObservation,
  type Db,
} from '@agent-lifecycle/db';
import { RateLimitedError } from '@agent-lifecycle/errors';
import type { JobName, LeaderLease } from '@agent-lifecycle/jobs';
import type { Logger } from '@agent-lifecycle/logger';
import type { Clock, Cloud, CloudAction, CloudServer } from '../ports';
import { MANAGED_BY } from './destroy-agent';
import { FIRST_POLL_MS, observation } from './waits';

export interface CloudWatcherSettings {
  /** Multiplies every interval; tests make polls quick. */
  pollScale: number;
  /** The Hetzner budget all workers share, in requests per second. */
  budgetPerSecond: number;
  /** The share of that budget polling may spend over time (the rest is for the actions). */
  pollShare: number;
}

export interface CloudWatcherDeps {
  db: Db;
  cloud: Cloud;
  /** Runs a job that stepped aside now; false when it is not waiting any more. */
  wake(name: JobName, operationId: string): Promise<boolean>;
  lease: LeaderLease;
  clock: Clock;
  logger: Logger;
  settings: CloudWatcherSettings;
}

/** What Hetzner answers at most per request: ids per `GET /actions`, agents per label selector. */
const BATCH = 50;
const MAX_POLL_MS = 8_000;
/** How often the leader looks for due waits (a cheap query), and the shortest gap between rounds. */
const TICK_MS = 250;
const MIN_TICK_MS = 20;
const FOLLOWER_TICK_MS = 1_000;
/** A wait observed this long ago whose job did not take the answer gets woken again. */
const REWAKE_AFTER_MS = 2_000;
const MIN_REWAKE_AFTER_MS = 500;
/** An action missing from Hetzner's answer this many rounds in a row is reported as unknown. */
const MISSES_BEFORE_UNKNOWN = 3;
const OPEN_WAITS_READ = 10_000;
/** Polling may spend this many seconds of its share at once (a busy spell), then its share's pace. */
const POLL_BURST_SECONDS = 300;
const WAKE_AT_ONCE = 20;

/** What a poll found: the waits answered, and those still pending. */
interface Polled {
  requests: number;
  answered: CloudWaitObservation[];
  pending: string[];
}

interface RoundResult {
  requests: number;
  observed: number;
}

export function createCloudWatcher({ db, cloud, wake, lease, clock, logger, settings }: CloudWatcherDeps) {
  const log = logger.child({ component: 'cloud-watcher' });
  const scaled = (ms: number) => ms * settings.pollScale;
  const tickMs = Math.max(MIN_TICK_MS, scaled(TICK_MS));
  const misses = new Map<string, number>();
  // The watcher's allowance: a token bucket refilling at its share of the budget.
  const allowanceRate = (settings.budgetPerSecond * settings.pollShare) / 1000;
  const allowanceCapacity = allowanceRate * POLL_BURST_SECONDS * 1000;
  let allowance = allowanceCapacity;
  let allowanceAt = clock.now().getTime();
  let nextRoundAt = 0;
  let lastRewakeAt = 0;
  let stopped = true;
  let timer: NodeJS.Timeout | undefined;
  let loop: Promise<void> | undefined;
  let wakeLoop: (() => void) | undefined;

  /** The waits a round polls: every due one, topped up to whole requests with those due soonest. */
  function pick(waits: CloudWait[], now: number): CloudWait[] {
    const due = waits.filter((wait) => wait.nextPollAt.getTime() <= now).length;
    return due === 0 ? [] : waits.slice(0, Math.ceil(due / BATCH) * BATCH);
  }

  async function pollActions(waits: CloudWait[]): Promise<Polled> {
    const found = new Map<number, CloudAction>((await cloud.getActions(waits.map((wait) => Number(wait.actionId)))).map((action) => [action.id, action]));
    const answered: CloudWaitObservation[] = [];
    const pending: string[] = [];
    for (const wait of waits) {
      const action = found.get(Number(wait.actionId));
      const missed = action ? 0 : (misses.get(wait.operationId) ?? 0) + 1;
      if (action?.status === 'running' || (!action && missed < MISSES_BEFORE_UNKNOWN)) {
        if (!action) misses.set(wait.operationId, missed);
        pending.push(wait.operationId);
        continue;
      }
      misses.delete(wait.operationId);
      answered.push({ wait, observed: observation({ action: action ? { status: action.status, error: action.error } : null }) });
    }
    return { requests: Math.ceil(waits.length / BATCH), answered, pending };
  }

  async function pollServers(waits: CloudWait[], now: number): Promise<Polled> {
    let requests = 0;
    const listed = new Map<number, CloudServer>();
    const agentIds = [...new Set(waits.map((wait) => wait.agentId).filter((id): id is string => id !== null))];
    for (let start = 0; start < agentIds.length; start += BATCH) {
      for (const server of await cloud.findServers({ ...MANAGED_BY, 'agent-id': agentIds.slice(start, start + BATCH) })) listed.set(server.id, server);
      requests += 1;
    }
    const answered: CloudWaitObservation[] = [];
    const pending: string[] = [];
    for (const wait of waits) {
      const serverId = Number(wait.serverId);
      let server: CloudServer | null | undefined = listed.get(serverId);
      // Not in the list: gone, or a server without our labels. Only then is it read by itself.
      if (server === undefined && wait.nextPollAt.getTime() <= now) {
        server = await cloud.getServer(serverId);
        requests += 1;
      }
      if (server === null) answered.push({ wait, observed: observation({ server: null }) });
      else if (server?.status === wait.serverStatus) answered.push({ wait, observed: observation({ server: { status: server.status } }) });
      else pending.push(wait.operationId);
    }
    return { requests, answered, pending };
  }

  /** Wakes the jobs, a few at a time. */
  async function wakeAll(waits: Pick<CloudWait, 'operationId' | 'jobName'>[]): Promise<void> {
    for (let start = 0; start < waits.length; start += WAKE_AT_ONCE) {
      await Promise.all(
        waits.slice(start, start + WAKE_AT_ONCE).map((wait) =>
          wake(wait.jobName as JobName, wait.operationId).catch((error: unknown) => log.warn({ operationId: wait.operationId, err: error }, 'could not wake a job')),
        ),
      );
    }
  }

  /** Wakes jobs whose answer is recorded but untaken (a wake-up lost with a crashed leader). */
  async function rewakeUnclaimed(now: number): Promise<void> {
    const after = Math.max(MIN_REWAKE_AFTER_MS, scaled(REWAKE_AFTER_MS));
    if (now - lastRewakeAt < after) return;
    lastRewakeAt = now;
    await wakeAll(await listUnclaimedCloudWaits(db, new Date(now - after), 500));
  }

  /** One round: polls what is due (and what fits in the same requests), records, wakes. */
  async function round(): Promise<RoundResult> {
    const at = clock.now();
    const now = at.getTime();
    await rewakeUnclaimed(now);
    allowance = Math.min(allowanceCapacity, allowance + (now - allowanceAt) * allowanceRate);
    allowanceAt = now;
    if (now < nextRoundAt || allowance < 1) return { requests: 0, observed: 0 };
    const soonest = await nextCloudWaitPollAt(db);
    if (soonest === null || soonest.getTime() > now) return { requests: 0, observed: 0 };
    const open = await listOpenCloudWaits(db, OPEN_WAITS_READ);
    const actionWaits = pick(open.filter((wait) => wait.actionId !== null), now);
    const serverWaits = pick(open.filter((wait) => wait.serverId !== null), now);
    if (actionWaits.length + serverWaits.length === 0) return { requests: 0, observed: 0 };
    const none: Polled = { requests: 0, answered: [], pending: [] };
    const actions = actionWaits.length > 0 ? await pollActions(actionWaits) : none;
    const servers = serverWaits.length > 0 ? await pollServers(serverWaits, now) : none;
    const woken = await recordCloudWaitsObserved(db, [...actions.answered, ...servers.answered], at);
    await wakeAll(woken);
    await postponeCloudWaits(db, actions.pending, at, scaled(FIRST_POLL_MS.action), scaled(MAX_POLL_MS));
    await postponeCloudWaits(db, servers.pending, at, scaled(FIRST_POLL_MS.server), scaled(MAX_POLL_MS));
    const requests = actions.requests + servers.requests;
    allowance -= requests;
    nextRoundAt = now + tickMs;
    const result = { requests, observed: woken.length };
    log.debug({ ...result, actionWaits: actionWaits.length, serverWaits: serverWaits.length }, 'watcher round');
    return result;
  }

  async function tick(): Promise<number> {
    try {
      if (!(await lease.hold())) return FOLLOWER_TICK_MS;
      await round();
    } catch (error) {
      if (error instanceof RateLimitedError) {
        nextRoundAt = clock.now().getTime() + (error.retryAfterMs ?? 1_000);
        log.warn({ retryAfterMs: error.retryAfterMs }, 'Hetzner rate limit reached while polling; the next round waits');
      } else {
        log.warn({ err: error }, 'cloud watcher round failed; trying again');
      }
    }
    return tickMs;
  }

  return {
    /** Starts the loop; only the process holding the lease polls. */
    start(): void {
      if (!stopped) return;
      stopped = false;
      loop = (async () => {
        while (!stopped) {
          const delay = await tick();
          if (stopped) break;
          await new Promise<void>((resolve) => {
            wakeLoop = resolve;
            timer = setTimeout(resolve, delay).unref();
          });
        }
      })();
    },

    /** Stops after the round in progress and hands the lease over. */
    async stop(): Promise<void> {
      if (stopped) return;
      stopped = true;
      clearTimeout(timer);
      wakeLoop?.();
      await loop;
      await lease.release().catch((error: unknown) => log.warn({ err: error }, 'could not release the watcher lease'));
    },

    /** One round now, if this process leads (tests and benchmarks). */
    async poll(): Promise<RoundResult> {
      if (!(await lease.hold())) return { requests: 0, observed: 0 };
      nextRoundAt = 0;
      return round();
    },
  };
}

export type CloudWatcher = ReturnType<typeof createCloudWatcher>;
