// The Tailscale half of the preflight, with read-only calls: the API key or OAuth client is
// accepted, an OAuth client's tokens carry the scope device removal needs, and the tailnet
// answers a device list.
import { isLifecycleError } from '@agent-lifecycle/errors';
import { createOAuthTokenSource } from './oauth-token-source';
import { sendTailscaleRequest, type TailscaleRequestObserver } from './tailscale-http';

/** One thing a preflight checked, and what it found. */
export interface AccessFinding {
  check: string;
  ok: boolean;
  detail: string;
}

export interface TailscaleAccessOptions {
  apiUrl: string;
  tailnet: string;
  apiKey?: string;
  oauth?: { clientId: string; clientSecret: string };
  timeoutMs?: number;
  observe?: TailscaleRequestObserver;
}

/** The scope `DELETE /device/{id}` needs; `all` and the legacy `devices` include it. */
export const DEVICE_REMOVAL_SCOPE = 'devices:core';

export function scopesAllowDeviceRemoval(scopes: readonly string[]): boolean {
  return scopes.some((scope) => scope === DEVICE_REMOVAL_SCOPE || scope === 'all' || scope === 'devices');
}

const reason = (error: unknown): string => (isLifecycleError(error) || error instanceof Error ? error.message : String(error));

export async function checkTailscaleAccess({ apiUrl, tailnet, apiKey, oauth, timeoutMs = 10_000, observe }: TailscaleAccessOptions): Promise<AccessFinding[]> {
  const base = apiUrl.replace(/\/+$/, '');
  const now = () => new Date();
  const findings: AccessFinding[] = [];
  let credential: string;

  if (apiKey) {
    credential = apiKey;
  } else if (oauth) {
    const tokens = createOAuthTokenSource({ apiUrl: base, ...oauth, timeoutMs, now, observe });
    try {
      credential = await tokens.token();
    } catch (error) {
      return [{ check: 'OAuth client', ok: false, detail: `refused: ${reason(error)}` }];
    }
    findings.push({ check: 'OAuth client', ok: true, detail: 'accepted' });
    const scopes = tokens.scopes();
    if (scopes && !scopesAllowDeviceRemoval(scopes)) {
      return [...findings, { check: `scope ${DEVICE_REMOVAL_SCOPE}`, ok: false, detail: `missing: the client's tokens carry only ${scopes.join(' ') || 'no scope'}, so removing a device would be refused (403)` }];
    }
    findings.push({ check: `scope ${DEVICE_REMOVAL_SCOPE}`, ok: true, detail: scopes ? `granted (${scopes.join(' ')})` : 'not reported by the token endpoint; assumed' });
  } else {
    return [{ check: 'credentials', ok: false, detail: 'neither an API key nor an OAuth client is configured' }];
  }

  try {
    const response = await sendTailscaleRequest({
      call: `list of devices of tailnet ${tailnet}`,
      endpoint: 'GET /tailnet/{tailnet}/devices',
      url: `${base}/tailnet/${encodeURIComponent(tailnet)}/devices`,
      headers: { authorization: `Bearer ${credential}` },
      timeoutMs,
      now,
      observe,
    });
    const body = (await response.json().catch(() => undefined)) as { devices?: unknown } | undefined;
    const count = Array.isArray(body?.devices) ? body.devices.length : undefined;
    return [...findings, { check: apiKey ? 'API key and tailnet' : 'tailnet', ok: true, detail: `tailnet ${tailnet} answers${count === undefined ? '' : ` with ${count} device${count === 1 ? '' : 's'}`}` }];
  } catch (error) {
    return [...findings, { check: apiKey ? 'API key and tailnet' : 'tailnet', ok: false, detail: reason(error) }];
  }
}
