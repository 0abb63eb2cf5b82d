// Tailscale's OAuth client-credentials flow: any client id and secret get an access token
// that expires after one hour of simulated time (the clock's scale applies).
import type { Clock } from '../clock';

export interface AccessToken {
  access_token: string;
  token_type: 'Bearer';
  expires_in: number;
  scope: string;
}

export type TokenCheck = 'valid' | 'expired';

const tokenLifetimeSeconds = 3600;
const oauthTokenPattern = /^tskey-api-oauth\d+-/;

export class OAuthTokens {
  private tokens = new Map<string, number>();
  private serial = 1;

  constructor(
    private readonly clock: Clock,
    private readonly random: () => number,
  ) {}

  issue(scope: string | undefined): AccessToken {
    const secret = Array.from({ length: 24 }, () => Math.floor(this.random() * 16).toString(16)).join('');
    const token = `tskey-api-oauth${this.serial++}-${secret}`;
    this.tokens.set(token, this.clock.now().getTime() + this.clock.toRealMs(tokenLifetimeSeconds * 1000));
    return { access_token: token, token_type: 'Bearer', expires_in: tokenLifetimeSeconds, scope: scope && scope.trim() !== '' ? scope : 'all' };
  }

  /**
   * Any non-empty credential is accepted as an API key, except a token this flow issued:
   * that one is valid for its hour only (and forgotten by a reset).
   */
  check(credential: string): TokenCheck {
    if (!oauthTokenPattern.test(credential)) return 'valid';
    const expiresAt = this.tokens.get(credential);
    return expiresAt !== undefined && this.clock.now().getTime() < expiresAt ? 'valid' : 'expired';
  }

  reset(): void {
    this.tokens = new Map();
  }
}
