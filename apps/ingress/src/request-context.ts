// What the ingress's middleware attaches to every request: its id, a logger that
// carries the id on every line, and, past bearer authentication, the user.
import type { User } from '@agent-lifecycle/db';
import type { Logger } from '@agent-lifecycle/logger';
import type { Request } from 'express';

declare module 'express-serve-static-core' {
  interface Request {
    requestId: string;
    log: Logger;
    user?: User;
  }
}

/** The authenticated user; only called behind the bearer middleware. */
export function userOf(req: Request): User {
  if (!req.user) throw new Error('userOf called on a route without bearer authentication');
  return req.user;
}

const templates = new Map<string, string>();

/** The route as declared (`/api/agents/{id}/stop`), for metric labels and idempotency scopes. */
export function routeTemplateOf(req: Request): string | undefined {
  const path: unknown = (req.route as { path?: unknown } | undefined)?.path;
  if (typeof path !== 'string') return undefined;
  const declared = `${req.baseUrl}${path}`;
  let template = templates.get(declared);
  if (template === undefined) {
    // Declared routes are few: each is rewritten once.
    template = declared.replace(/:(\w+)/g, '{$1}');
    templates.set(declared, template);
  }
  return template;
}
