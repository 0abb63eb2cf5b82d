// Waiting on the cloud without hammering it: action and status polls back off from about
// half a second to a few seconds, and every poll is a budgeted Hetzner request.
import { RetryableError } from '@agent-lifecycle/errors';
import type { Clock, Cloud, CloudAction, CloudServer, ServerStatus } from '../ports';

export interface PollSettings {
  /** Multiplies every poll interval; tests make polls quick. */
  pollScale: number;
}

const FIRST_MS = 500;
const MAX_MS = 4_000;
/** An action that has not finished after this long is treated as a passing fault. */
const ACTION_TIMEOUT_MS = 10 * 60_000;

function* intervals(scale: number): Generator<number> {
  let next = FIRST_MS;
  for (;;) {
    yield next * scale;
    next = Math.min(next * 1.5, MAX_MS);
  }
}

export async function awaitAction(cloud: Cloud, clock: Clock, settings: PollSettings, actionId: number): Promise<CloudAction> {
  const deadline = clock.now().getTime() + ACTION_TIMEOUT_MS;
  for (const wait of intervals(settings.pollScale)) {
    await clock.sleep(wait);
    const action = await cloud.getAction(actionId);
    if (action.status !== 'running') return action;
    if (clock.now().getTime() > deadline) throw new RetryableError('timeout', `Hetzner action ${actionId} is still running after ${ACTION_TIMEOUT_MS / 60_000} minutes`);
  }
  throw new Error('unreachable');
}

/**
 * Polls the server until its status is one of `wanted` or the deadline passes; returns the
 * last server seen (null when it disappeared).
 */
export async function awaitServerStatus(
  cloud: Cloud,
  clock: Clock,
  settings: PollSettings,
  serverId: number,
  wanted: ServerStatus[],
  deadline: Date,
): Promise<CloudServer | null> {
  let server = await cloud.getServer(serverId);
  for (const wait of intervals(settings.pollScale)) {
    if (!server || wanted.includes(server.status)) return server;
    const left = deadline.getTime() - clock.now().getTime();
    if (left <= 0) return server;
    await clock.sleep(Math.min(wait, left));
    server = await cloud.getServer(serverId);
  }
  return server;
}
