// The user API on agents (docs/api.md): list, detail, create (provisioning), and the
// stop/start/destroy requests, each answered 202 with the operation to follow.
import type { Operation } from '@agent-lifecycle/db';
import { NotFoundError } from '@agent-lifecycle/errors';
import { agentView, operationView, type UserOperationKind } from '@agent-lifecycle/lifecycle';
import { Router, type Request, type Response } from 'express';
import { z } from 'zod';
import { idempotencyOf } from '../middleware/idempotency';
import { findOwnAgent, listOwnAgents } from '../queries';
import { userOf } from '../request-context';
import { ID_PATTERN, parseInput } from '../validation';
import type { RouteDeps } from './route-deps';

const newAgentBody = z
  .object({
    name: z
      .string()
      .trim()
      .min(1, 'must not be empty')
      .max(64, 'must be at most 64 characters')
      .regex(/^[A-Za-z0-9 _-]+$/, 'may contain only letters, digits, spaces, "-" and "_"'),
  })
  .strict();
/** Stop, start and destroy take no parameters: no body, or an empty object. */
const emptyBody = z.object({}).strict();

const USER_OPERATIONS: UserOperationKind[] = ['stop', 'start', 'destroy'];

function agentIdOf(req: Request): string {
  const id = req.params.id;
  if (typeof id !== 'string' || !ID_PATTERN.test(id)) throw new NotFoundError('agent_not_found', 'No such agent.');
  return id;
}

/** 202 with the operation's address; a replayed Idempotency-Key says so in a header. */
function accepted(res: Response, operation: Operation, replayed: boolean): Response {
  res.status(202).location(`/api/operations/${operation.id}`);
  if (replayed) res.setHeader('Idempotent-Replayed', 'true');
  return res;
}

export function agentsRouter({ db, useCases, metrics, userApi }: RouteDeps): Router {
  const router = Router();

  router.get('/api/agents', ...userApi, async (req, res) => {
    res.json({ agents: await listOwnAgents(db, userOf(req).id) });
  });

  router.post('/api/agents', ...userApi, async (req, res) => {
    const { name } = parseInput(newAgentBody, req.body ?? {});
    const user = userOf(req);
    const idempotency = idempotencyOf(req, { name });
    const { value, replayed } = await useCases(req).requests.createAgent({ userId: user.id, name, idempotency, actor: `user:${user.id}` });
    if (!replayed) metrics.operationsCreated([value.operation]);
    accepted(res, value.operation, replayed).json({ agent: agentView(value.agent), operation: operationView(value.operation) });
  });

  router.get('/api/agents/:id', ...userApi, async (req, res) => {
    const agent = await findOwnAgent(db, userOf(req).id, agentIdOf(req));
    if (!agent) throw new NotFoundError('agent_not_found', 'No such agent.');
    res.json({ agent });
  });

  for (const kind of USER_OPERATIONS) {
    router.post(`/api/agents/:id/${kind}`, ...userApi, async (req, res) => {
      const agentId = agentIdOf(req);
      const body = parseInput(emptyBody, req.body ?? {});
      const user = userOf(req);
      const idempotency = idempotencyOf(req, body);
      const { value, replayed } = await useCases(req).requests.requestOperation({ userId: user.id, agentId, kind, idempotency, actor: `user:${user.id}` });
      if (!replayed) metrics.operationsCreated([value.operation]);
      accepted(res, value.operation, replayed).json({ operation: operationView(value.operation) });
    });
  }

  return router;
}
