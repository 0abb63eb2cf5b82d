// The control API `/_sim` (docs/simulator.md) for tests, demos and sandbox operators: state,
// reset, devices, behaviour config, credentials, faults and request counts. Not rate limited, not counted.
import express, { type NextFunction, type Request, type Response, type Router } from 'express';
import { InvalidCredentials, parseSimCredentialsPatch } from './credentials';
import { InvalidFaultRule, parseFaultRule } from './faults';
import { InvalidSimConfig, parseSimConfigPatch } from './sim-config';
import type { Simulator } from './simulator';
import { InvalidDevice } from './tailscale/tailnet';

function sendError(res: Response, status: number, code: string, message: string): void {
  res.status(status).json({ error: { code, message } });
}

export function createControlRouter(sim: Simulator): Router {
  const router = express.Router();
  router.use(express.json({ type: () => true }));

  router.get('/state', (_req: Request, res: Response) => {
    res.json(sim.snapshot());
  });

  router.post('/reset', (_req: Request, res: Response) => {
    sim.reset();
    sim.logger.info({}, 'simulator reset');
    res.status(204).end();
  });

  router.post('/devices', (req: Request, res: Response) => {
    const body = (req.body ?? {}) as Record<string, unknown>;
    if (typeof body.hostname !== 'string') return sendError(res, 400, 'invalid_device', 'hostname must be a string');
    if (body.tags !== undefined && (!Array.isArray(body.tags) || !body.tags.every((t) => typeof t === 'string'))) {
      return sendError(res, 400, 'invalid_device', 'tags must be an array of strings');
    }
    const device = sim.tailnet.add({ hostname: body.hostname, tags: body.tags as string[] | undefined });
    res.status(201).json({ device: sim.tailnet.toJson(device, 'all') });
  });

  router.get('/config', (_req: Request, res: Response) => {
    res.json({ config: sim.config });
  });

  router.put('/config', (req: Request, res: Response) => {
    const config = sim.configure(parseSimConfigPatch(req.body));
    sim.logger.info({ config }, 'simulator configured');
    res.json({ config });
  });

  router.get('/credentials', (_req: Request, res: Response) => {
    res.json({ credentials: sim.credentials.all });
  });

  router.put('/credentials', (req: Request, res: Response) => {
    const credentials = sim.setCredentials(parseSimCredentialsPatch(req.body, sim.credentials.all));
    // Names only: the secrets stay out of the log.
    sim.logger.info({ clouds: Object.keys(req.body as object) }, 'simulator credentials replaced');
    res.json({ credentials });
  });

  router.get('/faults', (_req: Request, res: Response) => {
    res.json({ rules: sim.faults.list() });
  });

  router.post('/faults', (req: Request, res: Response) => {
    const rules = (req.body as { rules?: unknown } | undefined)?.rules;
    if (!Array.isArray(rules) || rules.length === 0) return sendError(res, 400, 'invalid_fault', 'rules must be a non-empty array');
    const added = sim.faults.add(rules.map((rule, index) => parseFaultRule(rule, index)));
    sim.logger.info({ rules: added }, 'faults injected');
    res.status(201).json({ rules: added });
  });

  router.delete('/faults', (_req: Request, res: Response) => {
    sim.faults.clear();
    res.status(204).end();
  });

  router.get('/requests', (_req: Request, res: Response) => {
    res.json(sim.requestLog.snapshot());
  });

  router.delete('/requests', (_req: Request, res: Response) => {
    sim.requestLog.reset();
    res.status(204).end();
  });

  router.use((req: Request, res: Response) => sendError(res, 404, 'not_found', `no such control endpoint: ${req.method} ${req.baseUrl}${req.path}`));
  router.use((error: unknown, _req: Request, res: Response, _next: NextFunction) => {
    if (error instanceof InvalidSimConfig) return sendError(res, 400, 'invalid_config', error.message);
    if (error instanceof InvalidFaultRule) return sendError(res, 400, 'invalid_fault', error.message);
    if (error instanceof InvalidDevice) return sendError(res, 400, 'invalid_device', error.message);
    if (error instanceof InvalidCredentials) return sendError(res, 400, 'invalid_credentials', error.message);
    if ((error as { type?: string }).type === 'entity.parse.failed') return sendError(res, 400, 'invalid_json', 'request body is not valid JSON');
    sim.logger.error({ err: error }, 'control API failed');
    sendError(res, 500, 'internal_error', 'internal simulator error');
  });
  return router;
}
