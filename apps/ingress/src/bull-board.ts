// Bull Board for operators at /admin/queues: every queue of the catalog, behind HTTP
// Basic with the operator credentials. Read-only mode refuses every write twice over:
// here (405 before Bull Board sees it) and in Bull Board's own per-queue check.
import { createBullBoard } from '@bull-board/api';
import { BullMQAdapter } from '@bull-board/api/bullMQAdapter';
import { ExpressAdapter } from '@bull-board/express';
import { QUEUE_NAMES, type JobQueues } from '@agent-lifecycle/jobs';
import { Router, type NextFunction, type Request, type Response } from 'express';
import helmet from 'helmet';
import { HttpError } from './errors';
import { basicAuth } from './middleware/basic-auth';

export const BULL_BOARD_PATH = '/admin/queues';

const READS = new Set(['GET', 'HEAD']);

function refuseWrites(req: Request, _res: Response, next: NextFunction): void {
  if (!READS.has(req.method)) throw new HttpError(405, 'read_only', 'Bull Board is read-only here.');
  next();
}

export function bullBoardRouter({ queues, user, password, readonly }: { queues: JobQueues; user: string; password: string; readonly: boolean }): Router {
  const serverAdapter = new ExpressAdapter();
  serverAdapter.setBasePath(BULL_BOARD_PATH);
  createBullBoard({
    queues: QUEUE_NAMES.map((name) => new BullMQAdapter(queues.queues[name], { readOnlyMode: readonly })),
    serverAdapter,
    options: { uiConfig: { boardTitle: 'Agent lifecycle queues' } },
  });

  const router = Router();
  // The board's page runs inline scripts: no CSP here, the rest of helmet's headers apply.
  router.use(helmet({ contentSecurityPolicy: false }));
  router.use(basicAuth({ user, password }, 'Bull Board'));
  if (readonly) router.use(refuseWrites);
  router.use(serverAdapter.getRouter() as Router);
  return router;
}
