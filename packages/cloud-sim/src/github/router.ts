// GitHub's REST API as far as provisioning needs it: workflow dispatch (with the checks GitHub
// makes: token, workflow, ref, declared inputs; `return_run_details`), the reads a preflight
// makes (repository permissions, workflow, branch) and a run's status; `{"message"}` errors.
import express, { type NextFunction, type Request, type Response, type Router } from 'express';
import type { Clock } from '../clock';
import type { CredentialStore, GithubToken } from '../credentials';
import { faultMiddleware } from '../fault-middleware';
import type { FaultInjector } from '../faults';
import type { SimLogger } from '../logger';
import { pathParam, type RouteTable } from '../route-table';
import type { DispatchInputs, WorkflowRun, WorkflowRuns } from './workflow-runs';

export interface GithubRouterDeps {
  workflows: WorkflowRuns;
  credentials: CredentialStore;
  routes: RouteTable;
  faults: FaultInjector;
  clock: Clock;
  logger: SimLogger;
}

const documentationUrl = 'https://docs.github.com/rest/actions/workflows#create-a-workflow-dispatch-event';

function sendMessage(res: Response, status: number, message: string): void {
  res.status(status).json({ message, documentation_url: documentationUrl, status: String(status) });
}

function bearer(req: Request): string | undefined {
  return /^(?:Bearer|token)\s+(\S+)\s*$/i.exec(req.get('authorization') ?? '')?.[1];
}

function tokenOf(res: Response): GithubToken {
  return res.locals.githubToken as GithubToken;
}

function repositoryOf(req: Request): string {
  return `${pathParam(req, 'owner')}/${pathParam(req, 'repo')}`;
}

/** A branch as a dispatch may name it: `main` or `refs/heads/main`. */
function branchName(ref: string): string {
  return ref.startsWith('refs/heads/') ? ref.slice('refs/heads/'.length) : ref;
}

function runJson(req: Request, run: WorkflowRun): Record<string, unknown> {
  return {
    id: run.id,
    name: run.workflow,
    head_branch: branchName(run.ref),
    status: run.status,
    conclusion: run.conclusion,
    workflow_id: run.workflowId,
    url: `${req.protocol}://${req.get('host') ?? 'localhost'}/repos/${run.repository}/actions/runs/${run.id}`,
    html_url: `https://github.com/${run.repository}/actions/runs/${run.id}`,
    created_at: run.createdAt,
  };
}

export function createGithubRouter({ workflows, credentials, routes, faults, clock, logger }: GithubRouterDeps): Router {
  const router = express.Router();
  router.use((req: Request, res: Response, next: NextFunction) => {
    const token = credentials.githubToken(bearer(req) ?? '');
    if (!token) return sendMessage(res, 401, 'Bad credentials');
    res.locals.githubToken = token;
    next();
  });
  router.use(faultMiddleware(faults, clock, (res, status, code) => sendMessage(res, status, code ?? `injected fault: ${status}`)));
  router.use(express.json({ type: () => true }));

  routes.add(router, '/repos', 'get', '/{owner}/{repo}', (req: Request, res: Response) => {
    const repository = repositoryOf(req);
    if (!credentials.githubRepositoryExists(repository)) return sendMessage(res, 404, 'Not Found');
    const write = tokenOf(res).actions === 'write';
    res.json({
      id: 700_000_001,
      name: pathParam(req, 'repo'),
      full_name: repository,
      private: true,
      default_branch: credentials.githubBranches(repository)[0] ?? 'main',
      permissions: { admin: false, maintain: false, push: write, triage: write, pull: true },
    });
  });

  routes.add(router, '/repos', 'get', '/{owner}/{repo}/actions/workflows/{workflow}', (req: Request, res: Response) => {
    const repository = repositoryOf(req);
    const workflow = credentials.githubWorkflow(repository, pathParam(req, 'workflow'));
    if (!workflow) return sendMessage(res, 404, 'Not Found');
    res.json({
      id: workflow.id,
      name: workflow.workflow.replace(/\.ya?ml$/, ''),
      path: `.github/workflows/${workflow.workflow}`,
      state: 'active',
      html_url: `https://github.com/${workflow.repository}/blob/${workflow.refs[0] ?? 'main'}/.github/workflows/${workflow.workflow}`,
    });
  });

  routes.add(router, '/repos', 'get', '/{owner}/{repo}/branches/{branch}', (req: Request, res: Response) => {
    const repository = repositoryOf(req);
    const branch = pathParam(req, 'branch');
    if (!credentials.githubRepositoryExists(repository) || !credentials.githubBranches(repository).includes(branch)) return sendMessage(res, 404, 'Branch not found');
    res.json({ name: branch, protected: false });
  });

  routes.add(router, '/repos', 'get', '/{owner}/{repo}/actions/runs/{run_id}', (req: Request, res: Response) => {
    const run = workflows.get(Number(pathParam(req, 'run_id')));
    if (!run || run.repository.toLowerCase() !== repositoryOf(req).toLowerCase()) return sendMessage(res, 404, 'Not Found');
    res.json(runJson(req, run));
  });

  routes.add(router, '/repos', 'post', '/{owner}/{repo}/actions/workflows/{workflow}/dispatches', (req: Request, res: Response) => {
    const repository = repositoryOf(req);
    const workflow = credentials.githubWorkflow(repository, pathParam(req, 'workflow'));
    if (!workflow) return sendMessage(res, 404, 'Not Found');
    if (tokenOf(res).actions !== 'write') return sendMessage(res, 403, 'Resource not accessible by personal access token');

    const body = (req.body ?? {}) as Record<string, unknown>;
    if (typeof body.ref !== 'string' || body.ref === '') return sendMessage(res, 422, 'Invalid request.\n\n"ref" wasn\'t supplied.');
    if (!workflow.refs.includes(branchName(body.ref))) return sendMessage(res, 422, `No ref found for: ${body.ref}`);
    const returnRunDetails = body.return_run_details ?? false;
    if (typeof returnRunDetails !== 'boolean') return sendMessage(res, 422, 'Invalid request.\n\nFor \'properties/return_run_details\', it is not a boolean.');
    const inputs = (body.inputs ?? {}) as Record<string, unknown>;
    if (typeof inputs !== 'object' || inputs === null || Array.isArray(inputs)) return sendMessage(res, 422, 'Invalid request.\n\nFor \'properties/inputs\', it is not an object.');
    const unexpected = Object.keys(inputs).filter((key) => !workflow.inputs.includes(key));
    if (unexpected.length > 0) return sendMessage(res, 422, `Unexpected inputs provided: ${JSON.stringify(unexpected)}`);
    for (const name of workflow.inputs) {
      const value = inputs[name];
      if (typeof value !== 'string' || value === '') return sendMessage(res, 422, `Required input '${name}' not provided`);
    }

    const run = workflows.dispatch({ repository: workflow.repository, workflow: workflow.workflow, workflowId: workflow.id, ref: body.ref, hetznerProject: workflow.hetznerProject }, inputs as unknown as DispatchInputs);
    logger.info({ runId: run.id, jobId: run.inputs.job_id, agentId: run.inputs.agent_id }, 'workflow dispatched');
    if (!returnRunDetails) return void res.status(204).end();
    const details = runJson(req, run);
    res.status(200).json({ workflow_run_id: run.id, run_url: details.url, html_url: details.html_url });
  });

  router.use((_req: Request, res: Response) => sendMessage(res, 404, 'Not Found'));
  router.use((error: unknown, req: Request, res: Response, _next: NextFunction) => {
    if ((error as { type?: string }).type === 'entity.parse.failed') return sendMessage(res, 400, 'Problems parsing JSON');
    logger.error({ err: error, method: req.method, path: req.originalUrl }, 'github simulator failed to answer');
    sendMessage(res, 500, 'Server Error');
  });
  return router;
}
