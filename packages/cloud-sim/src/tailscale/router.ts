// The Tailscale API v2 as one Express router: OAuth client credentials, Bearer or Basic
// auth, and the device endpoints (list per tailnet, get, delete) with `{"message"}` errors.
import express, { type NextFunction, type Request, type Response, type Router } from 'express';
import type { Clock } from '../clock';
import { faultMiddleware } from '../fault-middleware';
import type { FaultInjector } from '../faults';
import type { SimLogger } from '../logger';
import { pathParam, type RouteTable } from '../route-table';
import type { OAuthTokens } from './oauth';
import type { Tailnet } from './tailnet';

export interface TailscaleRouterDeps {
  tailnet: Tailnet;
  oauth: OAuthTokens;
  routes: RouteTable;
  faults: FaultInjector;
  clock: Clock;
  logger: SimLogger;
}

const prefix = '/api/v2';

function sendMessage(res: Response, status: number, message: string): void {
  res.status(status).json({ message });
}

/** The API key or access token from `Bearer <token>` or Basic auth with the key as username. */
function credential(req: Request): string | undefined {
  const header = req.get('authorization') ?? '';
  const bearer = /^Bearer\s+(\S+)\s*$/i.exec(header);
  if (bearer) return bearer[1];
  const basic = /^Basic\s+(\S+)\s*$/i.exec(header);
  if (!basic?.[1]) return undefined;
  const username = Buffer.from(basic[1], 'base64').toString('utf8').split(':')[0];
  return username === '' ? undefined : username;
}

function basicPair(req: Request): [string, string] | undefined {
  const basic = /^Basic\s+(\S+)\s*$/i.exec(req.get('authorization') ?? '');
  if (!basic?.[1]) return undefined;
  const decoded = Buffer.from(basic[1], 'base64').toString('utf8');
  const colon = decoded.indexOf(':');
  return colon === -1 ? [decoded, ''] : [decoded.slice(0, colon), decoded.slice(colon + 1)];
}

export function createTailscaleRouter({ tailnet, oauth, routes, faults, clock, logger }: TailscaleRouterDeps): Router {
  const router = express.Router();
  router.use(faultMiddleware(faults, clock, (res, status, code) => sendMessage(res, status, code ?? `injected fault: ${status}`)));
  router.use(express.urlencoded({ extended: false }));
  router.use(express.json());

  routes.add(router, prefix, 'post', '/oauth/token', (req: Request, res: Response) => {
    const body = (req.body ?? {}) as Record<string, unknown>;
    const [basicId, basicSecret] = basicPair(req) ?? [];
    const clientId = typeof body.client_id === 'string' ? body.client_id : basicId;
    const clientSecret = typeof body.client_secret === 'string' ? body.client_secret : basicSecret;
    if (body.grant_type !== undefined && body.grant_type !== 'client_credentials') {
      res.status(400).json({ error: 'unsupported_grant_type', error_description: 'only client_credentials is supported' });
      return;
    }
    if (!clientId || !clientSecret) {
      res.status(401).json({ error: 'invalid_client', error_description: 'client_id and client_secret are required' });
      return;
    }
    res.json(oauth.issue(typeof body.scope === 'string' ? body.scope : undefined));
  });

  router.use((req: Request, res: Response, next: NextFunction) => {
    const token = credential(req);
    if (!token) return sendMessage(res, 401, 'API token invalid');
    if (oauth.check(token) === 'expired') return sendMessage(res, 401, 'API token expired');
    next();
  });

  routes.add(router, prefix, 'get', '/tailnet/{tailnet}/devices', (req: Request, res: Response) => {
    // Every tailnet name (and `-`, the token's default tailnet) is the one simulated tailnet.
    const fields = req.query.fields === 'all' ? 'all' : 'default';
    res.json({ devices: tailnet.all().map((d) => tailnet.toJson(d, fields)) });
  });

  routes.add(router, prefix, 'get', '/device/{id}', (req: Request, res: Response) => {
    const device = tailnet.get(pathParam(req, 'id'));
    if (!device) return sendMessage(res, 404, 'device not found');
    res.json(tailnet.toJson(device, req.query.fields === 'all' ? 'all' : 'default'));
  });

  routes.add(router, prefix, 'delete', '/device/{id}', (req: Request, res: Response) => {
    if (!tailnet.remove(pathParam(req, 'id'))) return sendMessage(res, 404, 'device not found');
    res.status(200).end();
  });

  router.use((req: Request, res: Response) => sendMessage(res, 404, `no such endpoint: ${req.method} ${req.baseUrl}${req.path}`));
  router.use((error: unknown, req: Request, res: Response, _next: NextFunction) => {
    const parserError = error as { type?: string };
    if (parserError.type === 'entity.parse.failed') return sendMessage(res, 400, 'invalid JSON body');
    logger.error({ err: error, method: req.method, path: req.originalUrl }, 'tailscale simulator failed to answer');
    sendMessage(res, 500, 'internal simulator error');
  });
  return router;
}
