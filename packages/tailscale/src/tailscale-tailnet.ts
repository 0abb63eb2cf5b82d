// The lifecycle's Tailnet port on the Tailscale API v2: find an agent's devices by hostname
// and remove them, with an API key or an OAuth client whose tokens it renews by itself.
import { PermanentError } from '@agent-lifecycle/errors';
import type { Tailnet, TailnetDevice } from '@agent-lifecycle/lifecycle';
import { createOAuthTokenSource, type OAuthTokenSource } from './oauth-token-source';
import { sendTailscaleRequest, type TailscaleRequestObserver } from './tailscale-http';

export interface TailscaleTailnetOptions {
  /** API base URL including the version: https://api.tailscale.com/api/v2, or the simulator's /api/v2. */
  apiUrl: string;
  /** Tailnet name, or `-` for the credential's default tailnet. */
  tailnet: string;
  /** An API access token; or give `oauth`. */
  apiKey?: string;
  /** An OAuth client (scope devices:core) whose access tokens the adapter fetches and renews. */
  oauth?: { clientId: string; clientSecret: string };
  /** Gives up on a request that has not answered within this time (default 15 s). */
  timeoutMs?: number;
  clock?: { now(): Date };
  /** Told about every request sent (429s included), e.g. for metrics. */
  observe?: TailscaleRequestObserver;
}

interface DeviceJson {
  id?: unknown;
  hostname?: unknown;
  name?: unknown;
}

function toDevice(device: DeviceJson): TailnetDevice | undefined {
  if (typeof device.id !== 'string' || typeof device.hostname !== 'string') return undefined;
  return { id: device.id, hostname: device.hostname, name: typeof device.name === 'string' ? device.name : device.hostname };
}

export function createTailscaleTailnet({ apiUrl, tailnet, apiKey, oauth, timeoutMs = 15_000, clock, observe }: TailscaleTailnetOptions): Tailnet {
  const base = apiUrl.replace(/\/+$/, '');
  const now = () => (clock ? clock.now() : new Date());
  const credentials = ((): { apiKey: string } | { tokens: OAuthTokenSource } => {
    // An API key wins when both are given: it needs no token round trip.
    if (apiKey) return { apiKey };
    if (oauth) return { tokens: createOAuthTokenSource({ apiUrl: base, ...oauth, timeoutMs, now, observe }) };
    throw new Error('createTailscaleTailnet needs an apiKey or an oauth client');
  })();

  /** Sends an authenticated request; an OAuth token the API refuses is renewed once and the request repeated. */
  async function send(call: string, endpoint: string, path: string, accept: number[] = []): Promise<Response> {
    const method = endpoint.split(' ')[0] ?? 'GET';
    const attempt = (token: string, retryOnUnauthorized: boolean) =>
      sendTailscaleRequest({
        call,
        endpoint,
        url: `${base}${path}`,
        method,
        headers: { authorization: `Bearer ${token}` },
        timeoutMs,
        accept: retryOnUnauthorized ? [...accept, 401] : accept,
        now,
        observe,
      });
    if ('apiKey' in credentials) return attempt(credentials.apiKey, false);

    const { tokens } = credentials;
    const token = await tokens.token();
    const response = await attempt(token, true);
    if (response.status !== 401) return response;
    // Revoked or expired early: one fresh token, one more try; a second 401 is final.
    await response.body?.cancel();
    tokens.invalidate(token);
    return attempt(await tokens.token(), false);
  }

  async function listDevices(call: string): Promise<TailnetDevice[]> {
    const response = await send(call, 'GET /tailnet/{tailnet}/devices', `/tailnet/${encodeURIComponent(tailnet)}/devices`);
    const body = (await response.json().catch(() => undefined)) as { devices?: unknown } | undefined;
    if (!Array.isArray(body?.devices)) throw new PermanentError('unexpected_response', `Tailscale ${call} failed: unexpected_response (no devices array)`);
    return (body.devices as DeviceJson[]).map(toDevice).filter((device): device is TailnetDevice => device !== undefined);
  }

  return {
    listDevices: () => listDevices('list of devices'),

    async findDevicesByHostname(hostname) {
      const wanted = hostname.toLowerCase();
      const devices = await listDevices(`list of devices named ${hostname}`);
      return devices.filter((device) => device.hostname.toLowerCase() === wanted);
    },

    async removeDevice(deviceId) {
      const response = await send(`removal of device ${deviceId}`, 'DELETE /device/{id}', `/device/${encodeURIComponent(deviceId)}`, [404]);
      await response.body?.cancel();
      return response.status === 404 ? 'already_gone' : 'removed';
    },
  };
}
