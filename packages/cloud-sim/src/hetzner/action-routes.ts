// `/v1/actions`: get one action, or several by `?id=1&id=2` (how official clients poll the
// progress of what they started; `id` is required since 2025-01-30), sorted and paginated.
import type { Request, Response, Router } from 'express';
import type { RouteTable } from '../route-table';
import { HetznerError } from './errors';
import { actionSortFields } from './actions';
import { paginate, pathId, queryEnum, queryValues, sortBy } from './query';
import type { HetznerStores } from './server-routes';

export function registerActionRoutes(router: Router, routes: RouteTable, { actions }: HetznerStores): void {
  routes.add(router, '/v1', 'get', '/actions', (req: Request, res: Response) => {
    const ids = queryValues(req, 'id').map((raw) => {
      if (!/^\d+$/.test(raw)) throw HetznerError.invalidInput([{ name: 'id', messages: ['must be an integer'] }]);
      return Number(raw);
    });
    if (ids.length === 0) throw HetznerError.invalidInput([{ name: 'id', messages: ['is required'] }], "query parameter 'id' is required");
    const wanted = new Set(ids);
    const statuses = queryEnum(req, 'status', ['running', 'success', 'error'] as const);
    const matching = actions
      .all()
      .filter((a) => wanted.has(a.id))
      .filter((a) => statuses.length === 0 || statuses.includes(a.status));
    const { page, meta } = paginate(req, sortBy(req, matching, actionSortFields));
    res.json({ actions: page.map((a) => actions.toJson(a)), meta });
  });

  routes.add(router, '/v1', 'get', '/actions/{id}', (req: Request, res: Response) => {
    const id = pathId(req, 'id', 'action');
    const action = actions.get(id);
    if (!action) throw HetznerError.notFound('action', id);
    res.json({ action: actions.toJson(action) });
  });
}
