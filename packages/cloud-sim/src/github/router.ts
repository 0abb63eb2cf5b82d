// GitHub's workflow dispatch endpoint: a token-authenticated POST with `ref` and the
// provisioning inputs answers 204 and starts a simulated run; GitHub's `{"message"}` errors.
import express, { type NextFunction, type Request, type Response, type Router } from 'express';
import type { Clock } from '../clock';
import { faultMiddleware } from '../fault-middleware';
import type { FaultInjector } from '../faults';
import type { SimLogger } from '../logger';
import { pathParam, type RouteTable } from '../route-table';
import type { DispatchInputs, WorkflowRuns } from './workflow-runs';

export interface GithubRouterDeps {
  workflows: WorkflowRuns;
  routes: RouteTable;
  faults: FaultInjector;
  clock: Clock;
  logger: SimLogger;
}

const documentationUrl = 'https://docs.github.com/rest/actions/workflows#create-a-workflow-dispatch-event';
const requiredInputs = ['job_id', 'agent_id', 'callback_url'] as const;

function sendMessage(res: Response, status: number, message: string): void {
  res.status(status).json({ message, documentation_url: documentationUrl, status: String(status) });
}

function hasToken(req: Request): boolean {
  return /^(Bearer|token)\s+\S+\s*$/i.test(req.get('authorization') ?? '');
}

export function createGithubRouter({ workflows, routes, faults, clock, logger }: GithubRouterDeps): Router {
  const router = express.Router();
  router.use((req: Request, res: Response, next: NextFunction) => (hasToken(req) ? next() : sendMessage(res, 401, 'Bad credentials')));
  router.use(faultMiddleware(faults, clock, (res, status, code) => sendMessage(res, status, code ?? `injected fault: ${status}`)));
  router.use(express.json({ type: () => true }));

  routes.add(router, '/repos', 'post', '/{owner}/{repo}/actions/workflows/{workflow}/dispatches', (req: Request, res: Response) => {
    const body = (req.body ?? {}) as Record<string, unknown>;
    if (typeof body.ref !== 'string' || body.ref === '') return sendMessage(res, 422, 'Invalid request.\n\n"ref" wasn\'t supplied.');
    const inputs = (body.inputs ?? {}) as Record<string, unknown>;
    if (typeof inputs !== 'object' || Array.isArray(inputs)) return sendMessage(res, 422, 'Invalid request.\n\nFor \'properties/inputs\', it is not an object.');
    const unexpected = Object.keys(inputs).filter((key) => !(requiredInputs as readonly string[]).includes(key));
    if (unexpected.length > 0) return sendMessage(res, 422, `Unexpected inputs provided: ${JSON.stringify(unexpected)}`);
    for (const name of requiredInputs) {
      const value = inputs[name];
      if (typeof value !== 'string' || value === '') return sendMessage(res, 422, `Required input '${name}' not provided`);
    }
    const repository = `${pathParam(req, 'owner')}/${pathParam(req, 'repo')}`;
    const run = workflows.dispatch(repository, pathParam(req, 'workflow'), body.ref, inputs as unknown as DispatchInputs);
    logger.info({ runId: run.id, jobId: run.inputs.job_id, agentId: run.inputs.agent_id }, 'workflow dispatched');
    res.status(204).end();
  });

  router.use((_req: Request, res: Response) => sendMessage(res, 404, 'Not Found'));
  router.use((error: unknown, req: Request, res: Response, _next: NextFunction) => {
    if ((error as { type?: string }).type === 'entity.parse.failed') return sendMessage(res, 400, 'Problems parsing JSON');
    logger.error({ err: error, method: req.method, path: req.originalUrl }, 'github simulator failed to answer');
    sendMessage(res, 500, 'Server Error');
  });
  return router;
}
