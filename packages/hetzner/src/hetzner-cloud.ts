// The lifecycle's Cloud port on Hetzner Cloud, through our own small client: typed requests,
// answers read through schemas of only the fields the port needs, plain port objects out,
// @agent-lifecycle/errors classes thrown, "already gone" answered as null where the port says so.
import { isAxiosError } from 'axios';
import { z } from 'zod';
import { RateLimitedError, type LifecycleError } from '@agent-lifecycle/errors';
import type { Cloud, CloudAction, CloudImage, CloudImageStatus, CloudServer, LabelMatch, ServerStatus } from '@agent-lifecycle/lifecycle';
import { classifyHetznerError, isRetryableCode } from './classify-hetzner-error';
import { createHetznerHttp, type HetznerRequest, type HetznerRequestObserver } from './hetzner-http';
import {
  actionAnswer,
  actionListAnswer,
  createImageAnswer,
  createServerAnswer,
  imageAnswer,
  imageListAnswer,
  pricingAnswer,
  readAnswer,
  serverAnswer,
  serverListAnswer,
  startedActionListAnswer,
  type ActionBody,
  type ImageBody,
  type ServerBody,
} from './hetzner-schema';
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
  /** Told about every request sent (429s included), e.g. for metrics. */
  observe?: HetznerRequestObserver;
}

const SERVER_STATUSES: readonly ServerStatus[] = ['initializing', 'starting', 'running', 'stopping', 'off', 'deleting', 'migrating', 'rebuilding', 'unknown'];

/** Hetzner's action commands, in the words of the port. */
const PORT_COMMANDS: Record<string, string> = {
  shutdown_server: 'shutdown',
  stop_server: 'poweroff',
  start_server: 'poweron',
};

/** Hetzner's largest page, and so the most action ids one `GET /actions` is asked for. */
const PAGE_SIZE = 50;

function toServer(server: ServerBody): CloudServer {
  const status = SERVER_STATUSES.find((s) => s === server.status) ?? 'unknown';
  return {
    id: server.id,
    name: server.name,
    status,
    labels: { ...server.labels },
    ipv4: server.public_net?.ipv4?.ip ?? null,
    ...(server.server_type ? { serverType: server.server_type.name } : {}),
    ...(server.location ? { location: server.location.name } : {}),
  };
}

const IMAGE_STATUSES: readonly CloudImageStatus[] = ['creating', 'available', 'unavailable'];

function toImage(image: ImageBody): CloudImage {
  return {
    id: image.id,
    status: IMAGE_STATUSES.find((s) => s === image.status) ?? 'unavailable',
    sizeGb: image.image_size ?? null,
    labels: { ...image.labels },
    createdFrom: image.created_from ? { ...image.created_from } : null,
  };
}

function toAction(action: ActionBody): CloudAction {
  const finished = action.status !== 'running';
  const code = action.error?.code ?? 'unknown_error';
  return {
    id: action.id,
    command: PORT_COMMANDS[action.command] ?? action.command,
    status: action.status,
    progress: action.progress ?? (finished ? 100 : 0),
    error: action.status === 'error' ? { code, message: action.error?.message ?? `the ${action.command} action failed`, retryable: isRetryableCode(code) } : null,
  };
}

/** `k==v,k2 in (a,b)`: the servers matching every entry. */
function labelSelector(labels: LabelMatch): string {
  return Object.entries(labels)
    .map(([key, value]) => (typeof value === 'string' ? `${key}==${value}` : `${key} in (${value.join(',')})`))
    .join(',');
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

export function createHetznerCloud({ token, endpoint, timeoutMs = 15_000, budget, logger, observe }: HetznerCloudOptions): Cloud {
  const http = createHetznerHttp({ token, endpoint, timeoutMs, budget, observe });

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

  /**
   * Sends one request and reads its answer through `schema`; `call` names it in errors
   * ("get of server 42"). With `orNull`, Hetzner's 404 not_found answers null instead.
   */
  async function call<T>(name: string, request: HetznerRequest, schema: z.ZodType<T>): Promise<T>;
  async function call<T>(name: string, request: HetznerRequest, schema: z.ZodType<T>, orNull: 'null_when_gone'): Promise<T | null>;
  async function call<T>(name: string, request: HetznerRequest, schema: z.ZodType<T>, orNull?: 'null_when_gone'): Promise<T | null> {
    let body: unknown;
    try {
      body = await http.send(request);
    } catch (error) {
      if (orNull && isNotFound(error)) return null;
      throw await failure(error, name);
    }
    return readAnswer(schema, body, name);
  }

  const serverAction = (serverId: number, command: 'shutdown' | 'poweroff' | 'poweron') =>
    call(`${command} of server ${serverId}`, { method: 'POST', path: `/servers/{id}/actions/${command}`, params: { id: serverId } }, actionAnswer).then((answer) => toAction(answer.action));

  /** Every page of a server's actions until `enough` says the rest are not wanted; null when the server is gone. */
  async function serverActions<A extends ActionBody>(
    serverId: number,
    query: Record<string, string>,
    what: string,
    schema: z.ZodType<{ actions: A[]; meta?: { pagination?: { next_page?: number | null } | null } | null }>,
    enough: (page: A[]) => boolean = () => false,
  ): Promise<A[] | null> {
    const found: A[] = [];
    for (let page = 1; ; page += 1) {
      const answer = await call(
        `list of ${what} of server ${serverId} (page ${page})`,
        { method: 'GET', path: '/servers/{id}/actions', params: { id: serverId }, query: new URLSearchParams({ ...query, page: String(page), per_page: String(PAGE_SIZE) }) },
        schema,
        'null_when_gone',
      );
      if (answer === null) return page === 1 ? null : found;
      found.push(...answer.actions);
      const next = answer.meta?.pagination?.next_page;
      if (enough(answer.actions) || !next || next <= page) return found;
    }
  }

  return {
    async getServer(serverId) {
      const answer = await call(`get of server ${serverId}`, { method: 'GET', path: '/servers/{id}', params: { id: serverId } }, serverAnswer, 'null_when_gone');
      return answer && toServer(answer.server);
    },

    async findServers(labels) {
      const selector = labelSelector(labels);
      const servers: ServerBody[] = [];
      for (let page = 1; ; page += 1) {
        const query = new URLSearchParams({ ...(selector ? { label_selector: selector } : {}), page: String(page), per_page: String(PAGE_SIZE) });
        const answer = await call(`list of servers with labels ${selector} (page ${page})`, { method: 'GET', path: '/servers', query }, serverListAnswer);
        servers.push(...answer.servers);
        const next = answer.meta?.pagination?.next_page;
        if (!next || next <= page) return servers.map(toServer);
      }
    },

    shutdown: (serverId) => serverAction(serverId, 'shutdown'),
    powerOff: (serverId) => serverAction(serverId, 'poweroff'),
    powerOn: (serverId) => serverAction(serverId, 'poweron'),

    async deleteServer(serverId) {
      const answer = await call(`delete of server ${serverId}`, { method: 'DELETE', path: '/servers/{id}', params: { id: serverId } }, actionAnswer, 'null_when_gone');
      return answer && toAction(answer.action);
    },

    async getAction(actionId) {
      return toAction((await call(`get of action ${actionId}`, { method: 'GET', path: '/actions/{id}', params: { id: actionId } }, actionAnswer)).action);
    },

    async getActions(actionIds) {
      const unique = [...new Set(actionIds)];
      const found: CloudAction[] = [];
      for (let start = 0; start < unique.length; start += PAGE_SIZE) {
        const ids = unique.slice(start, start + PAGE_SIZE);
        const query = new URLSearchParams([...ids.map((id): [string, string] => ['id', String(id)]), ['per_page', String(PAGE_SIZE)]]);
        const answer = await call(`get of ${ids.length} actions`, { method: 'GET', path: '/actions', query }, actionListAnswer);
        found.push(...answer.actions.map(toAction));
      }
      return found;
    },

    async actionsSince(serverId, command, since) {
      // Hetzner records `started` to the second; newest first, so the pages stop at `since`.
      const from = Math.floor(since.getTime() / 1000) * 1000;
      const hetznerCommand = Object.entries(PORT_COMMANDS).find(([, portCommand]) => portCommand === command)?.[0] ?? command;
      const startedAt = (action: { started: string }) => Date.parse(action.started);
      const actions = await serverActions(serverId, { sort: 'started:desc' }, 'actions', startedActionListAnswer, (page) => page.some((action) => startedAt(action) < from));
      // A server that is gone has nothing left to adopt.
      if (actions === null) return [];
      return actions
        .filter((action) => action.command === hetznerCommand && startedAt(action) >= from)
        .sort((a, b) => startedAt(a) - startedAt(b) || a.id - b.id)
        .map(toAction);
    },

    async createSnapshot(serverId, { description, labels }) {
      const answer = await call(
        `snapshot of server ${serverId}`,
        { method: 'POST', path: '/servers/{id}/actions/create_image', params: { id: serverId }, body: { type: 'snapshot', description, labels } },
        createImageAnswer,
      );
      return { imageId: answer.image.id, action: toAction(answer.action) };
    },

    async getImage(imageId) {
      const answer = await call(`get of image ${imageId}`, { method: 'GET', path: '/images/{id}', params: { id: imageId } }, imageAnswer, 'null_when_gone');
      return answer && toImage(answer.image);
    },

    async findImages(labels) {
      const selector = labelSelector(labels);
      const images: ImageBody[] = [];
      for (let page = 1; ; page += 1) {
        const query = new URLSearchParams({ type: 'snapshot', ...(selector ? { label_selector: selector } : {}), page: String(page), per_page: String(PAGE_SIZE) });
        const answer = await call(`list of snapshots with labels ${selector} (page ${page})`, { method: 'GET', path: '/images', query }, imageListAnswer);
        images.push(...answer.images);
        const next = answer.meta?.pagination?.next_page;
        if (!next || next <= page) return images.map(toImage);
      }
    },

    async deleteImage(imageId) {
      // 204 No Content: nothing to read but that the delete was taken.
      const deleted = z.unknown().transform(() => 'deleted' as const);
      return (await call(`delete of image ${imageId}`, { method: 'DELETE', path: '/images/{id}', params: { id: imageId } }, deleted, 'null_when_gone')) ?? 'already_gone';
    },

    async createServer({ name, serverType, location, imageId, labels }) {
      const answer = await call(
        `creation of server ${name} from image ${imageId}`,
        { method: 'POST', path: '/servers', body: { name, server_type: serverType, location, image: imageId, labels, start_after_create: true } },
        createServerAnswer,
      );
      return { server: toServer(answer.server), action: toAction(answer.action) };
    },

    async prices() {
      const { pricing } = await call('read of prices', { method: 'GET', path: '/pricing' }, pricingAnswer);
      return {
        currency: pricing.currency,
        serverTypes: pricing.server_types.flatMap((type) => type.prices.map((price) => ({ name: type.name, location: price.location, monthlyGross: price.price_monthly.gross }))),
        snapshotPerGbMonth: pricing.image.price_per_gb_month.gross,
      };
    },

    async runningActions(serverId) {
      // A server that is gone has nothing running.
      return ((await serverActions(serverId, { status: 'running' }, 'running actions', actionListAnswer)) ?? []).map(toAction);
    },
  };
}
