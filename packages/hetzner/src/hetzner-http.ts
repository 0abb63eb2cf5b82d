// The HTTP transport under hcloud-js: our own axios 1.x instance (endpoint, token, timeout)
// that takes a token from the shared rate budget before every request it sends.
import http from 'node:http';
import https from 'node:https';
import axios, { type AxiosInstance } from 'axios';
import { RetryableError } from '@agent-lifecycle/errors';
import type { RateBudget } from './rate-budget';

export interface HetznerHttpOptions {
  token: string;
  /** Base URL including the version, e.g. https://api.hetzner.cloud/v1. */
  endpoint: string;
  timeoutMs: number;
  budget?: RateBudget;
}

type Json = Record<string, unknown>;

const isRecord = (value: unknown): value is Json => typeof value === 'object' && value !== null && !Array.isArray(value);

/**
 * hcloud-js reads `public_net.ipv4.ip` and `public_net.ipv6.ip` unguarded, but Hetzner sends
 * `null` for a server created without a public address; give it empty addresses instead.
 */
function fillMissingAddresses(server: unknown): void {
  if (!isRecord(server)) return;
  if (!Array.isArray(server.private_net)) server.private_net = [];
  const publicNet = isRecord(server.public_net) ? server.public_net : (server.public_net = {});
  if (!isRecord(publicNet.ipv4)) publicNet.ipv4 = { ip: null, blocked: false, dns_ptr: null };
  if (!isRecord(publicNet.ipv6)) publicNet.ipv6 = { ip: null, blocked: false, dns_ptr: [] };
}

export function createHetznerHttp({ token, endpoint, timeoutMs, budget }: HetznerHttpOptions): AxiosInstance {
  const instance = axios.create({
    baseURL: endpoint.replace(/\/+$/, ''),
    timeout: timeoutMs,
    // Environment proxies are an operator's choice for the whole process, not this client's.
    proxy: false,
    httpAgent: new http.Agent({ keepAlive: true }),
    httpsAgent: new https.Agent({ keepAlive: true }),
    headers: { Authorization: `Bearer ${token}`, 'User-Agent': 'agent-lifecycle (hcloud-js)' },
  });

  if (budget) {
    instance.interceptors.request.use(async (config) => {
      try {
        await budget.take();
      } catch (error) {
        const reason = error instanceof Error ? error.message : String(error);
        throw new RetryableError('rate_budget_unavailable', `Hetzner rate budget unavailable: ${reason}`);
      }
      return config;
    });
  }

  instance.interceptors.response.use((response) => {
    const data: unknown = response.data;
    if (isRecord(data)) {
      fillMissingAddresses(data.server);
      if (Array.isArray(data.servers)) data.servers.forEach(fillMissingAddresses);
    }
    return response;
  });

  return instance;
}
