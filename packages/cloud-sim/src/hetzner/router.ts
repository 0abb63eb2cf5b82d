// The Hetzner Cloud API v1 as one Express router: Bearer auth (a token of a known project),
// the per-project rate limit and its headers on every answer, faults, routes.
import express, { type NextFunction, type Request, type Response, type Router } from 'express';
import type { Clock } from '../clock';
import type { CredentialStore } from '../credentials';
import { faultMiddleware } from '../fault-middleware';
import type { FaultInjector } from '../faults';
import type { SimLogger } from '../logger';
import { projectBucket, type RateLimiter } from '../rate-limit';
import type { RouteTable } from '../route-table';
import { registerActionRoutes } from './action-routes';
import { registerCatalogRoutes } from './catalog-routes';
import { defaultHetznerCode, HetznerError, sendHetznerError } from './errors';
import { registerServerRoutes, type HetznerStores } from './server-routes';

export interface HetznerRouterDeps {
  stores: HetznerStores;
  routes: RouteTable;
  rateLimiter: RateLimiter;
  credentials: CredentialStore;
  faults: FaultInjector;
  clock: Clock;
  logger: SimLogger;
}

function bearerToken(req: Request): string | undefined {
  const match = /^Bearer\s+(\S+)\s*$/i.exec(req.get('authorization') ?? '');
  return match?.[1];
}

function rateLimitAndAuth(rateLimiter: RateLimiter, credentials: CredentialStore) {
  return (req: Request, res: Response, next: NextFunction): void => {
    const token = bearerToken(req);
    const project = token === undefined ? undefined : credentials.hetznerProject(token);
    // Hetzner limits unauthenticated calls too; without a valid token the caller's address is the bucket.
    const verdict = rateLimiter.take(project !== undefined ? projectBucket(project) : `ip:${req.ip ?? 'unknown'}`);
    res.set({
      'RateLimit-Limit': String(verdict.limit),
      'RateLimit-Remaining': String(verdict.remaining),
      'RateLimit-Reset': String(verdict.resetAt),
    });
    if (!verdict.allowed) return sendHetznerError(res, new HetznerError(429, 'rate_limit_exceeded', 'limit of requests per hour reached'));
    if (project === undefined) return sendHetznerError(res, new HetznerError(401, 'unauthorized', 'unable to authenticate'));
    next();
  };
}

export function createHetznerRouter({ stores, routes, rateLimiter, credentials, faults, clock, logger }: HetznerRouterDeps): Router {
  const router = express.Router();
  router.use(rateLimitAndAuth(rateLimiter, credentials));
  router.use(
    faultMiddleware(faults, clock, (res, status, code) => {
      if (status === 429) res.set('RateLimit-Remaining', '0');
      sendHetznerError(res, new HetznerError(status, code ?? defaultHetznerCode(status), `injected fault: ${status}`));
    }),
  );
  // Hetzner reads every body as JSON, whatever the Content-Type says.
  router.use(express.json({ type: () => true, limit: '1mb' }));

  registerServerRoutes(router, routes, stores);
  registerActionRoutes(router, routes, stores);
  registerCatalogRoutes(router, routes, stores.images);

  router.use((req: Request, res: Response) => {
    sendHetznerError(res, new HetznerError(404, 'not_found', `no such endpoint: ${req.method} ${req.baseUrl}${req.path}`));
  });
  router.use((error: unknown, req: Request, res: Response, _next: NextFunction) => {
    if (error instanceof HetznerError) return sendHetznerError(res, error);
    const parserError = error as { type?: string };
    if (parserError.type === 'entity.parse.failed') return sendHetznerError(res, new HetznerError(400, 'json_error', 'request body is not valid JSON'));
    if (parserError.type === 'entity.too.large') return sendHetznerError(res, HetznerError.invalidInput([{ name: 'body', messages: ['is too large'] }]));
    logger.error({ err: error, method: req.method, path: req.originalUrl }, 'hetzner simulator failed to answer');
    sendHetznerError(res, new HetznerError(500, 'server_error', 'internal simulator error'));
  });
  return router;
}
