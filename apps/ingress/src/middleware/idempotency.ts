// The `Idempotency-Key` of a POST: scoped to the route template, with a hash of the method,
// the actual path and the canonical body, so a replay is recognised and a reuse for a
// different request (another agent, another name) is refused by the lifecycle (422).
import { createHash } from 'node:crypto';
import type { Idempotency } from '@agent-lifecycle/lifecycle';
import type { Request } from 'express';
import { HttpError } from '../errors';
import { routeTemplateOf } from '../request-context';

const KEY_PATTERN = /^[\x21-\x7e]{1,255}$/;

/** JSON with object keys sorted at every level: equal requests hash equally. */
export function canonicalJson(value: unknown): string {
  if (value === undefined) return '';
  if (Array.isArray(value)) return `[${value.map((item) => canonicalJson(item ?? null)).join(',')}]`;
  if (value !== null && typeof value === 'object') {
    const entries = Object.entries(value as Record<string, unknown>)
      .filter(([, item]) => item !== undefined)
      .sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));
    return `{${entries.map(([key, item]) => `${JSON.stringify(key)}:${canonicalJson(item)}`).join(',')}}`;
  }
  return JSON.stringify(value);
}

export function idempotencyOf(req: Request, body: unknown): Idempotency | undefined {
  const key = req.get('idempotency-key');
  if (key === undefined) return undefined;
  if (!KEY_PATTERN.test(key)) {
    throw new HttpError(400, 'invalid_idempotency_key', 'Idempotency-Key must be 1 to 255 visible ASCII characters.');
  }
  const route = `${req.method} ${routeTemplateOf(req) ?? req.path}`;
  const requestHash = createHash('sha256').update(`${req.method}\n${req.baseUrl}${req.path}\n${canonicalJson(body)}`).digest('hex');
  return { key, route, requestHash };
}
