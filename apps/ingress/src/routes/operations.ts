// The user API on operations: one of the caller's operations, to follow a 202.
import { NotFoundError } from '@agent-lifecycle/errors';
import { Router, type Request } from 'express';
import { findOwnOperation } from '../queries';
import { userOf } from '../request-context';
import { ID_PATTERN } from '../validation';
import type { RouteDeps } from './route-deps';

function operationIdOf(req: Request): string {
  const id = req.params.id;
  if (typeof id !== 'string' || !ID_PATTERN.test(id)) throw new NotFoundError('operation_not_found', 'No such operation.');
  return id;
}

export function operationsRouter({ db, userApi }: RouteDeps): Router {
  const router = Router();
  router.get('/api/operations/:id', ...userApi, async (req, res) => {
    const operation = await findOwnOperation(db, userOf(req).id, operationIdOf(req));
    if (!operation) throw new NotFoundError('operation_not_found', 'No such operation.');
    res.json({ operation });
  });
  return router;
}
