// Rate limits of the user API: each user (whatever token they use) gets `limit` requests
// per window, and each IP a smaller budget of failed authentications so tokens cannot be
// guessed. Over the limit: 429 `rate_limited` with `Retry-After`.
import { isIPv4 } from 'node:net';
import { ipKeyGenerator, rateLimit, type Options } from 'express-rate-limit';
import type { NextFunction, Request, RequestHandler, Response } from 'express';
import { HttpError } from '../errors';

export interface RateLimitSettings {
  windowMs: number;
  /** Requests per user per window. */
  limit: number;
  /** Requests answered 401 per IP per window. */
  failedAuthLimit: number;
}

export const DEFAULT_RATE_LIMIT: RateLimitSettings = { windowMs: 60_000, limit: 600, failedAuthLimit: 60 };

function refuse(req: Request, _res: Response, next: NextFunction, options: Options): void {
  const resetTime = (req as Request & { rateLimit?: { resetTime?: Date } }).rateLimit?.resetTime;
  const seconds = Math.max(1, Math.ceil(((resetTime?.getTime() ?? Date.now() + options.windowMs) - Date.now()) / 1000));
  next(new HttpError(429, 'rate_limited', 'Too many requests; try again after the number of seconds in Retry-After.', undefined, { 'Retry-After': String(seconds) }));
}

/** An IPv4 address is its own key; an IPv6 address counts with its /56 network (one host has many). */
function ipKeyOf(req: Request): string {
  const ip = req.ip ?? 'unknown';
  return isIPv4(ip) ? ip : ipKeyGenerator(ip);
}

/**
 * `failedAuth` counts only failed authentications: the bearer middleware runs it when a token
 * is missing or wrong (429 once the IP's budget is spent), so accepted requests never pay for it.
 */
export function userApiRateLimits(settings: RateLimitSettings): { failedAuth: RequestHandler; perUser: RequestHandler } {
  return {
    failedAuth: rateLimit({
      windowMs: settings.windowMs,
      limit: settings.failedAuthLimit,
      standardHeaders: false,
      legacyHeaders: false,
      keyGenerator: ipKeyOf,
      // The key is the IP (or its IPv6 network), as ipKeyGenerator would make it.
      validate: { keyGeneratorIpFallback: false },
      handler: refuse,
    }),
    perUser: rateLimit({
      windowMs: settings.windowMs,
      limit: settings.limit,
      standardHeaders: 'draft-8',
      legacyHeaders: false,
      keyGenerator: (req) => `user:${req.user?.id ?? ipKeyOf(req)}`,
      validate: { keyGeneratorIpFallback: false },
      handler: refuse,
    }),
  };
}
