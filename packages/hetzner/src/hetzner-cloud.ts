// The lifecycle's Cloud port on Hetzner Cloud, through hcloud-js: plain port objects out,
// @agent-lifecycle/errors classes thrown, "already gone" answered as null where the port says so.
// Packages that compile this file through an import do not include our src/*.d.ts; the
// reference brings hcloud-js's declarations along (the one sanctioned use of the form).
// eslint-disable-next-line @typescript-eslint/triple-slash-reference
/// <reference path="./hcloud-js.d.ts" />
import { Client, type HcloudAction, type HcloudPage, type HcloudServer } from 'hcloud-js';
import { isAxiosError } from 'axios';
import { RateLimitedError, type LifecycleError } from '@agent-lifecycle/errors';
import type { Cloud, CloudAction, CloudServer, LabelMatch, ServerStatus } from '@agent-lifecycle/lifecycle';
import { classifyHetznerError, isRetryableCode } from './classify-hetzner-error';
import { createHetznerHttp } from './hetzner-http';
import type { RateBudget } from './rate-budget';

/** The few pino methods the adapter logs with. */
export interface HetznerLogger {
  debug(details: object, message: string): void;
  warn(details: object, message: string): void;
}

export interface HetznerCloudOptions {
  token: string;
  /** API base URL including the version: https://api.hetzner.cloud/v1, or the simulator's /v1. */
  endpoint: string;
  /** Gives up on a request that has not answered within this time (default 15 s). */
  timeoutMs?: number;
  /** Shared request budget; every request takes from it first. */
  budget?: RateBudget;
  logger?: HetznerLogger;
}

const SERVER_STATUSES: readonly ServerStatus[] = ['initializing', 'starting', 'running', 'stopping', 'off', 'deleting', 'migrating', 'rebuilding', 'unknown'];

/** Hetzner's action commands, in the words of the port. */
const PORT_COMMANDS: Record<string, string> = {
  shutdown_server: 'shutdown',
  stop_server: 'poweroff',
  start_server: 'poweron',
};

const PAGE_SIZE = 50;

function toServer(server: HcloudServer): CloudServer {
  const status = SERVER_STATUSES.find((s) => s === server.status) ?? 'unknown';
  return { id: server.id, name: server.name, status, labels: { ...server.labels }, ipv4: server.publicNet.ipv4.ip ?? null };
}

function toAction(action: HcloudAction): CloudAction {
  return {
    id: action.id,
    command: PORT_COMMANDS[action.command] ?? action.command,
    status: action.status,
    progress: action.progress,
    error: action.error ? { code: action.error.code, message: action.error.message, retryable: isRetryableCode(action.error.code) } : null,
  };
}

/** `k==v,k2 in (a,b)`: the servers matching every entry. */
function labelSelector(labels: LabelMatch): string {
  return Object.entries(labels)
    .map(([key, value]) => (typeof value === 'string' ? `${key}==${value}` : `${key} in (${value.join(',')})`))
    .join(',');
}

/** Hetzner answers at most this many actions a page, and so takes at most this many ids a request. */
const ACTIONS_PER_REQUEST = 50;

interface ActionWithStart extends HcloudAction {
  started: string;
}

/**
 * Hetzner's own "no such resource" (404 with code not_found). Any other 404, say from an
 * endpoint missing its /v1, must not pass for a deleted server.
 */
function isNotFound(error: unknown): boolean {
  if (!isAxiosError(error) || error.response?.status !== 404) return false;
  const body: unknown = error.response.data;
  const code = typeof body === 'object' && body !== null ? (body as { error?: { code?: unknown } }).error?.code : undefined;
  return code === 'not_found';
}

export function createHetznerCloud({ token, endpoint, timeoutMs = 15_000, budget, logger }: HetznerCloudOptions): Cloud {
  const client = new Client({ baseURL: endpoint });
  // hcloud-js brings axios 0.21 and drops the status and headers of an error answer; its
  // endpoints call `client.axios` at call time, so they run on our transport instead.
  client.axios = createHetznerHttp({ token, endpoint, timeoutMs, budget });

  async function failure(error: unknown, call: string): Promise<LifecycleError> {
    const classified = classifyHetznerError(error, call);
    logger?.debug({ call, code: classified.code, kind: classified.kind }, 'Hetzner call failed');
    if (classified instanceof RateLimitedError) {
      logger?.warn({ call, resetAt: classified.resetAt.toISOString() }, 'Hetzner rate limit reached; pausing every worker');
      if (budget) {
        // The 429 is what the caller must see, even if Redis cannot record the pause.
        await budget.pauseUntil(classified.resetAt).catch((pauseError: unknown) => {
          logger?.warn({ call, err: pauseError }, 'could not pause the Hetzner rate budget');
        });
      }
    }
    return classified;
  }

  /** Runs one Hetzner call; `onNotFound` turns a 404 into an answer instead of an error. */
  async function request<T>(call: string, send: () => Promise<T>, onNotFound?: () => T): Promise<T> {
    try {
      return await send();
    } catch (error) {
      if (onNotFound && isNotFound(error)) return onNotFound();
      throw await failure(error, call);
    }
  }

  /** Every page of a list, PAGE_SIZE at a time; `onNotFound` answers a 404 on the first page. */
  async function allPages<P extends HcloudPage, T>(call: string, list: (page: number) => Promise<P>, items: (page: P) => T[], onNotFound?: () => T[]): Promise<T[]> {
    const result: T[] = [];
    let page = 1;
    for (;;) {
      const current = await request<P | null>(`${call} (page ${page})`, () => list(page), page === 1 && onNotFound ? () => null : undefined);
      if (current === null) return onNotFound ? onNotFound() : result;
      result.push(...items(current));
      if (!current.nextPage || current.nextPage <= page) return result;
      page = current.nextPage;
    }
  }

  return {
    async getServer(serverId) {
      const server = await request<HcloudServer | null>(`get of server ${serverId}`, () => client.servers.get(serverId), () => null);
      return server && toServer(server);
    },

    async findServers(labels) {
      const labelSelectorParam = labelSelector(labels);
      const servers = await allPages(
        `list of servers with labels ${labelSelectorParam}`,
        (page) => client.servers.list({ ...(labelSelectorParam ? { labelSelector: labelSelectorParam } : {}), page, perPage: PAGE_SIZE }),
        (page) => page.servers,
      );
      return servers.map(toServer);
    },

    async shutdown(serverId) {
      return toAction(await request(`shutdown of server ${serverId}`, () => client.servers.actions.shutdown(serverId)));
    },

    async powerOff(serverId) {
      return toAction(await request(`poweroff of server ${serverId}`, () => client.servers.actions.powerOff(serverId)));
    },

    async powerOn(serverId) {
      return toAction(await request(`poweron of server ${serverId}`, () => client.servers.actions.powerOn(serverId)));
    },

    async deleteServer(serverId) {
      const action = await request<HcloudAction | null>(`delete of server ${serverId}`, () => client.servers.delete(serverId), () => null);
      return action && toAction(action);
    },

    async getAction(actionId) {
      return toAction(await request(`get of action ${actionId}`, () => client.actions.get(actionId)));
    },

    async getActions(actionIds) {
      const unique = [...new Set(actionIds)];
      const found: CloudAction[] = [];
      for (let start = 0; start < unique.length; start += ACTIONS_PER_REQUEST) {
        const ids = unique.slice(start, start + ACTIONS_PER_REQUEST);
        const query = new URLSearchParams([...ids.map((id): [string, string] => ['id', String(id)]), ['per_page', String(ACTIONS_PER_REQUEST)]]);
        const page = await request(`get of ${ids.length} actions`, async () => (await client.axios.get<{ actions: HcloudAction[] }>(`/actions?${query}`)).data);
        found.push(...page.actions.map(toAction));
      }
      return found;
    },

    async actionsSince(serverId, command, since) {
      // Hetzner records `started` to the second; newest first, so the pages stop at `since`.
      const from = Math.floor(since.getTime() / 1000) * 1000;
      const hetznerCommand = Object.entries(PORT_COMMANDS).find(([, portCommand]) => portCommand === command)?.[0] ?? command;
      const found: ActionWithStart[] = [];
      for (let page = 1; ; page++) {
        const query = new URLSearchParams({ sort: 'started:desc', page: String(page), per_page: String(PAGE_SIZE) });
        const answer = await request<{ actions: ActionWithStart[]; meta?: { pagination?: { next_page?: number | null } } } | null>(
          `list of actions of server ${serverId} (page ${page})`,
          async () => (await client.axios.get(`/servers/${serverId}/actions?${query}`)).data,
          // A server that is gone has nothing left to adopt.
          () => null,
        );
        if (answer === null) return [];
        const recent = answer.actions.filter((action) => Date.parse(action.started) >= from);
        found.push(...recent.filter((action) => action.command === hetznerCommand));
        const next = answer.meta?.pagination?.next_page;
        if (recent.length < answer.actions.length || !next || next <= page) break;
      }
      return found.sort((a, b) => Date.parse(a.started) - Date.parse(b.started) || a.id - b.id).map(toAction);
    },

    async runningActions(serverId) {
      const actions = await allPages(
        `list of running actions of server ${serverId}`,
        (page) => client.servers.actions.list(serverId, { status: 'running', page, perPage: PAGE_SIZE }),
        (page) => page.actions,
        // A server that is gone has nothing running.
        () => [],
      );
      return actions.map(toAction);
    },
  };
}
