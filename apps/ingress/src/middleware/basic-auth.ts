// HTTP Basic authentication for operator pages (Bull Board). Both the user and the
// password are compared in constant time, on hashes so the lengths always match.
import { createHash, timingSafeEqual } from 'node:crypto';
import type { NextFunction, Request, Response } from 'express';
import { HttpError } from '../errors';

const digest = (value: string) => createHash('sha256').update(value, 'utf8').digest();

export function sameSecret(given: string, expected: string): boolean {
  return timingSafeEqual(digest(given), digest(expected));
}

function credentialsOf(req: Request): { user: string; password: string } | undefined {
  const match = /^Basic +([A-Za-z0-9+/=]+) *$/i.exec(req.get('authorization') ?? '');
  if (!match?.[1]) return undefined;
  const decoded = Buffer.from(match[1], 'base64').toString('utf8');
  const colon = decoded.indexOf(':');
  if (colon < 0) return undefined;
  return { user: decoded.slice(0, colon), password: decoded.slice(colon + 1) };
}

export function basicAuth(expected: { user: string; password: string }, realm: string) {
  return (req: Request, _res: Response, next: NextFunction): void => {
    const given = credentialsOf(req);
    // Both comparisons always run: the time taken says nothing about which part was wrong.
    const userMatches = sameSecret(given?.user ?? '', expected.user);
    const passwordMatches = sameSecret(given?.password ?? '', expected.password);
    if (!given || !userMatches || !passwordMatches) {
      throw new HttpError(401, 'unauthorized', 'Operator credentials are required.', undefined, {
        'WWW-Authenticate': `Basic realm="${realm}", charset="UTF-8"`,
      });
    }
    next();
  };
}
