// The HTTP transport of our Hetzner client: one axios instance (endpoint, token, timeout,
// keep-alive) that takes from the shared rate budget before each request and reports every
// request it sends, by endpoint template, to an optional observer.
import http from 'node:http';
import https from 'node:https';
import axios, { isAxiosError, type AxiosInstance } from 'axios';
import { RetryableError } from '@agent-lifecycle/errors';
import type { RateBudget } from './rate-budget';

/** One request sent to Hetzner, as metrics see it. */
export interface HetznerObservedRequest {
  cloud: 'hetzner';
  /** The endpoint template, e.g. `POST /servers/{id}/actions/shutdown`, `GET /actions`. */
  endpoint: string;
  status: number | 'network_error';
  durationMs: number;
}

export type HetznerRequestObserver = (request: HetznerObservedRequest) => void;

export interface HetznerHttpOptions {
  token: string;
  /** Base URL including the version, e.g. https://api.hetzner.cloud/v1. */
  endpoint: string;
  timeoutMs: number;
  budget?: RateBudget;
  observe?: HetznerRequestObserver;
}

export type HttpMethod = 'GET' | 'POST' | 'PUT' | 'DELETE';

export interface HetznerRequest {
  method: HttpMethod;
  /** Path template under the endpoint, `{name}` filled from `params`: `/servers/{id}`. */
  path: string;
  params?: Record<string, string | number>;
  query?: URLSearchParams;
  body?: unknown;
}

export interface HetznerTransport {
  /** Sends one request and answers its parsed JSON body; throws what axios throws on failure. */
  send(request: HetznerRequest): Promise<unknown>;
}

function fill(template: string, params: Record<string, string | number> = {}): string {
  return template.replace(/\{(\w+)\}/g, (_, name: string) => {
    const value = params[name];
    if (value === undefined) throw new Error(`no value for {${name}} in ${template}`);
    return encodeURIComponent(String(value));
  });
}

export function createHetznerHttp({ token, endpoint, timeoutMs, budget, observe }: HetznerHttpOptions): HetznerTransport {
  const instance: AxiosInstance = axios.create({
    baseURL: endpoint.replace(/\/+$/, ''),
    timeout: timeoutMs,
    // Environment proxies are an operator's choice for the whole process, not this client's.
    proxy: false,
    httpAgent: new http.Agent({ keepAlive: true }),
    httpsAgent: new https.Agent({ keepAlive: true }),
    headers: { Authorization: `Bearer ${token}`, 'User-Agent': 'agent-lifecycle', Accept: 'application/json' },
  });

  async function takeBudget(): Promise<void> {
    if (!budget) return;
    try {
      await budget.take();
    } catch (error) {
      const reason = error instanceof Error ? error.message : String(error);
      throw new RetryableError('rate_budget_unavailable', `Hetzner rate budget unavailable: ${reason}`);
    }
  }

  return {
    async send({ method, path, params, query, body }) {
      await takeBudget();
      const url = fill(path, params) + (query && [...query.keys()].length > 0 ? `?${query}` : '');
      const started = performance.now();
      const report = (status: number | 'network_error') => observe?.({ cloud: 'hetzner', endpoint: `${method} ${path}`, status, durationMs: performance.now() - started });
      try {
        const response = await instance.request<unknown>({ method, url, data: body });
        report(response.status);
        return response.data;
      } catch (error) {
        report(isAxiosError(error) && error.response ? error.response.status : 'network_error');
        throw error;
      }
    },
  };
}
