// The Tailscale API v2 as one Express router: OAuth client credentials, Bearer or Basic auth
// by configured keys and tokens, scope checks, and the device endpoints with `{"message"}` errors.
import express, { type NextFunction, type Request, type Response, type Router } from 'express';
import type { Clock } from '../clock';
import { scopeAllows, type CredentialStore, type TailscaleGrant } from '../credentials';
import { faultMiddleware } from '../fault-middleware';
import type { FaultInjector } from '../faults';
import type { SimLogger } from '../logger';
import { pathParam, type RouteTable } from '../route-table';
import { ScopeNotGranted, type OAuthTokens } from './oauth';
import type { Tailnet } from './tailnet';

export interface TailscaleRouterDeps {
  tailnet: Tailnet;
  oauth: OAuthTokens;
  credentials: CredentialStore;
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

/** The caller's grant, set by the authentication middleware. */
function grantOf(res: Response): TailscaleGrant {
  return res.locals.tailscaleGrant as TailscaleGrant;
}

/** Refuses the call with 403 unless the caller's scopes allow `scope`. */
function requireScope(res: Response, scope: string): boolean {
  if (scopeAllows(grantOf(res).scopes, scope)) return true;
  sendMessage(res, 403, `calling actor does not have enough permissions to perform this function: needs scope ${scope}`);
  return false;
}

export function createTailscaleRouter({ tailnet, oauth, credentials, routes, faults, clock, logger }: TailscaleRouterDeps): Router {
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
    const client = credentials.tailscaleClient(clientId, clientSecret);
    if (!client) {
      res.status(401).json({ error: 'invalid_client', error_description: 'unknown client or wrong client secret' });
      return;
    }
    try {
      res.json(oauth.issue(client, typeof body.scope === 'string' ? body.scope : undefined));
    } catch (error) {
      if (!(error instanceof ScopeNotGranted)) throw error;
      res.status(400).json({ error: 'invalid_scope', error_description: error.message });
    }
  });

  router.use((req: Request, res: Response, next: NextFunction) => {
    const token = credential(req);
    if (!token) return sendMessage(res, 401, 'API token invalid');
    if (credentials.isTailscaleApiKey(token)) {
      // An API access key acts with the full rights of the user who made it.
      res.locals.tailscaleGrant = { scopes: ['all'] } satisfies TailscaleGrant;
      return next();
    }
    const issued = oauth.check(token);
    if (issued.status === 'expired') return sendMessage(res, 401, 'API token expired');
    if (issued.status === 'unknown') return sendMessage(res, 401, 'API token invalid');
    res.locals.tailscaleGrant = issued.grant;
    next();
  });

  routes.add(router, prefix, 'get', '/tailnet/{tailnet}/devices', (req: Request, res: Response) => {
    if (!requireScope(res, 'devices:core:read')) return;
    // `-` (the credential's default tailnet) and the configured tailnet names are the one simulated tailnet.
    if (!credentials.knowsTailnet(pathParam(req, 'tailnet'))) return sendMessage(res, 404, 'tailnet not found');
    const fields = req.query.fields === 'all' ? 'all' : 'default';
    res.json({ devices: tailnet.all().map((d) => tailnet.toJson(d, fields)) });
  });

  routes.add(router, prefix, 'get', '/device/{id}', (req: Request, res: Response) => {
    if (!requireScope(res, 'devices:core:read')) return;
    const device = tailnet.get(pathParam(req, 'id'));
    if (!device) return sendMessage(res, 404, 'device not found');
    res.json(tailnet.toJson(device, req.query.fields === 'all' ? 'all' : 'default'));
  });

  routes.add(router, prefix, 'delete', '/device/{id}', (req: Request, res: Response) => {
    if (!requireScope(res, 'devices:core')) return;
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
