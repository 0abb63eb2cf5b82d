// Hetzner's rate limit as documented: one token bucket per project (all its tokens), refilled gradually
// (3600 per hour = 1 per second); RateLimit-Reset is the UNIX time the bucket is full again.
import type { RateLimitConfig } from './sim-config';

export interface RateLimitVerdict {
  allowed: boolean;
  limit: number;
  remaining: number;
  /** UNIX timestamp (seconds) at which the bucket will be full again. */
  resetAt: number;
}

/** The bucket of a Hetzner project: all its tokens, and its workflows' calls, share it. */
export function projectBucket(project: string): string {
  return `project:${project}`;
}

interface Bucket {
  tokens: number;
  updatedAtMs: number;
}

export class RateLimiter {
  private readonly buckets = new Map<string, Bucket>();

  constructor(
    private settings: RateLimitConfig,
    private readonly nowMs: () => number = () => Date.now(),
  ) {}

  /** New settings apply to fresh, full buckets: a test that lowers the limit starts from a known state. */
  configure(settings: RateLimitConfig): void {
    this.settings = settings;
    this.buckets.clear();
  }

  reset(): void {
    this.buckets.clear();
  }

  /** Takes one request from `key`'s bucket if it has one. */
  take(key: string): RateLimitVerdict {
    const { limit, refillPerSecond } = this.settings;
    const now = this.nowMs();
    const bucket = this.buckets.get(key) ?? { tokens: limit, updatedAtMs: now };
    bucket.tokens = Math.min(limit, bucket.tokens + ((now - bucket.updatedAtMs) / 1000) * refillPerSecond);
    bucket.updatedAtMs = now;
    const allowed = bucket.tokens >= 1;
    if (allowed) bucket.tokens -= 1;
    this.buckets.set(key, bucket);
    const secondsUntilFull = (limit - bucket.tokens) / refillPerSecond;
    return {
      allowed,
      limit,
      remaining: Math.floor(bucket.tokens),
      resetAt: Math.ceil(now / 1000 + secondsUntilFull),
    };
  }
}
