// Access tokens from a Tailscale OAuth client (client-credentials grant): fetched once,
// shared by concurrent callers, and fetched again shortly before they expire or when refused.
import { PermanentError } from '@agent-lifecycle/errors';
import { sendTailscaleRequest, type TailscaleRequestObserver } from './tailscale-http';

export interface OAuthTokenSource {
  /** A token believed valid now. */
  token(): Promise<string>;
  /** The scopes the last token was granted, as the token endpoint said; undefined before the first. */
  scopes(): string[] | undefined;
  /** Forgets `token` after the API refused it, so the next token() fetches a new one. */
  invalidate(token: string): void;
}

export interface OAuthTokenSourceOptions {
  apiUrl: string;
  clientId: string;
  clientSecret: string;
  timeoutMs: number;
  now: () => Date;
  observe?: TailscaleRequestObserver;
}

/** Renew this long before expiry (at most a tenth of the lifetime), so no request carries a dying token. */
const RENEW_BEFORE_MS = 60_000;

export function createOAuthTokenSource({ apiUrl, clientId, clientSecret, timeoutMs, now, observe }: OAuthTokenSourceOptions): OAuthTokenSource {
  let current: { token: string; renewAt: number } | undefined;
  let granted: string[] | undefined;
  let fetching: Promise<string> | undefined;

  async function fetchToken(): Promise<string> {
    const issuedAt = now().getTime();
    const response = await sendTailscaleRequest({
      call: 'OAuth token request',
      endpoint: 'POST /oauth/token',
      url: `${apiUrl}/oauth/token`,
      method: 'POST',
      body: new URLSearchParams({ client_id: clientId, client_secret: clientSecret, grant_type: 'client_credentials' }),
      timeoutMs,
      now,
      observe,
    });
    const body = ((await response.json().catch(() => undefined)) ?? {}) as { access_token?: unknown; expires_in?: unknown; scope?: unknown };
    if (typeof body.access_token !== 'string' || body.access_token === '') throw new PermanentError('unexpected_response', 'Tailscale OAuth token request failed: unexpected_response (no access_token in the answer)');
    const lifetimeMs = typeof body.expires_in === 'number' && body.expires_in > 0 ? body.expires_in * 1000 : 0;
    current = { token: body.access_token, renewAt: issuedAt + lifetimeMs - Math.min(RENEW_BEFORE_MS, lifetimeMs / 10) };
    granted = typeof body.scope === 'string' ? body.scope.split(/\s+/).filter(Boolean) : undefined;
    return body.access_token;
  }

  return {
    token() {
      if (current && now().getTime() < current.renewAt) return Promise.resolve(current.token);
      fetching ??= fetchToken().finally(() => {
        fetching = undefined;
      });
      return fetching;
    },
    scopes: () => granted && [...granted],
    invalidate(token) {
      if (current?.token === token) current = undefined;
    },
  };
}
