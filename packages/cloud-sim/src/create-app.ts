// Composes the simulator's HTTP face: request counting for cloud calls, then the control
// API, Hetzner (`/v1`), Tailscale (`/api/v2`) and GitHub (`/repos`) routers.
import express, { type Express, type NextFunction, type Request, type Response } from 'express';
import { createControlRouter } from './control';
import { createGithubRouter } from './github/router';
import { createHetznerRouter } from './hetzner/router';
import type { Simulator } from './simulator';
import { createTailscaleRouter } from './tailscale/router';

export function createApp(sim: Simulator): Express {
  const app = express();
  app.disable('x-powered-by');
  app.set('etag', false);

  app.use((req: Request, res: Response, next: NextFunction) => {
    const path = req.originalUrl.split('?')[0] ?? req.path;
    if (path.startsWith('/_sim')) return next();
    let recorded = false;
    const record = (status: number | 'aborted'): void => {
      if (recorded) return;
      recorded = true;
      sim.requestLog.record(sim.routes.keyFor(req.method, path), status);
    };
    res.on('finish', () => record(res.statusCode));
    res.on('close', () => record(res.writableFinished ? res.statusCode : 'aborted'));
    next();
  });

  const { clock, faults, logger, routes } = sim;
  app.use('/_sim', createControlRouter(sim));
  const { credentials } = sim;
  app.use('/v1', createHetznerRouter({ stores: { servers: sim.servers, actions: sim.actions, images: sim.images }, routes, rateLimiter: sim.rateLimiter, credentials, faults, clock, logger }));
  app.use('/api/v2', createTailscaleRouter({ tailnet: sim.tailnet, oauth: sim.oauth, credentials, routes, faults, clock, logger }));
  app.use('/repos', createGithubRouter({ workflows: sim.workflows, credentials, routes, faults, clock, logger }));
  app.use((req: Request, res: Response) => {
    res.status(404).json({ error: { code: 'not_found', message: `the simulator has no ${req.method} ${req.path}` } });
  });
  return app;
}
