// Tailscale's OAuth client-credentials flow: a configured client (id and secret) gets an
// access token carrying its scopes (or the subset it asks for), valid one hour of simulated time.
import type { Clock } from '../clock';
import { scopeAllows, type TailscaleGrant, type TailscaleOAuthClient } from '../credentials';

export interface AccessToken {
  access_token: string;
  token_type: 'Bearer';
  expires_in: number;
  scope: string;
}

export type TokenCheck = { status: 'valid'; grant: TailscaleGrant } | { status: 'expired' } | { status: 'unknown' };

interface IssuedToken {
  expiresAt: number;
  scopes: string[];
}

export class ScopeNotGranted extends Error {
  constructor(readonly scope: string) {
    super(`scope ${scope} was not granted to this OAuth client`);
    this.name = 'ScopeNotGranted';
  }
}

const tokenLifetimeSeconds = 3600;

export class OAuthTokens {
  private tokens = new Map<string, IssuedToken>();
  private serial = 1;

  constructor(
    private readonly clock: Clock,
    private readonly random: () => number,
  ) {}

  /** A token for `client`: its own scopes, or the `requested` ones when it holds them all. */
  issue(client: TailscaleOAuthClient, requested: string | undefined): AccessToken {
    const asked = (requested ?? '').split(/\s+/).filter(Boolean);
    const denied = asked.find((scope) => !scopeAllows(client.scopes, scope));
    if (denied !== undefined) throw new ScopeNotGranted(denied);
    const scopes = asked.length > 0 ? asked : [...client.scopes];
    const secret = Array.from({ length: 24 }, () => Math.floor(this.random() * 16).toString(16)).join('');
    const token = `tskey-api-oauth${this.serial++}-${secret}`;
    this.tokens.set(token, { expiresAt: this.clock.now().getTime() + this.clock.toRealMs(tokenLifetimeSeconds * 1000), scopes });
    return { access_token: token, token_type: 'Bearer', expires_in: tokenLifetimeSeconds, scope: scopes.join(' ') };
  }

  /** A token this flow issued: valid (with its scopes) for its hour only, and forgotten by a reset. */
  check(credential: string): TokenCheck {
    const issued = this.tokens.get(credential);
    if (!issued) return { status: 'unknown' };
    if (this.clock.now().getTime() >= issued.expiresAt) return { status: 'expired' };
    return { status: 'valid', grant: { scopes: [...issued.scopes] } };
  }

  reset(): void {
    this.tokens = new Map();
  }
}
