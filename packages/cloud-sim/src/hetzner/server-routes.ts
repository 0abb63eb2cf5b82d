// `/v1/servers`: list with Hetzner's filters, get, create, update, delete, and the actions
// under `/v1/servers/{id}/actions/…` (power, create_image) with the server's action history.
import type { Request, Response, Router } from 'express';
import type { RouteTable } from '../route-table';
import { actionSortFields, type ActionStore } from './actions';
import type { ImageStore } from './images';
import { HetznerError } from './errors';
import { matchesLabelSelector } from './label-selector';
import { labelProblems } from './labels';
import { paginate, pathId, queryEnum, queryLabelSelector, queryValue, sortBy } from './query';
import { serverStatuses, type PowerCommand, type ServerStore } from './servers';

export interface HetznerStores {
  servers: ServerStore;
  actions: ActionStore;
  images: ImageStore;
}

const powerCommands: PowerCommand[] = ['poweron', 'poweroff', 'shutdown', 'reboot'];

export function registerServerRoutes(router: Router, routes: RouteTable, { servers, actions, images }: HetznerStores): void {
  routes.add(router, '/v1', 'get', '/servers', (req: Request, res: Response) => {
    const name = queryValue(req, 'name');
    const statuses = queryEnum(req, 'status', serverStatuses);
    const selector = queryLabelSelector(req);
    const matching = servers
      .all()
      .filter((s) => name === undefined || s.name === name)
      .filter((s) => statuses.length === 0 || statuses.includes(s.status))
      .filter((s) => matchesLabelSelector(s.labels, selector));
    const sorted = sortBy(req, matching, {
      id: (a, b) => a.id - b.id,
      name: (a, b) => a.name.localeCompare(b.name),
      created: (a, b) => a.created.getTime() - b.created.getTime(),
    });
    const { page, meta } = paginate(req, sorted);
    res.json({ servers: page.map((s) => servers.toJson(s)), meta });
  });

  routes.add(router, '/v1', 'post', '/servers', (req: Request, res: Response) => {
    const { server, action, nextActions, rootPassword } = servers.create(req.body);
    res.status(201).json({
      server: servers.toJson(server),
      action: actions.toJson(action),
      next_actions: nextActions.map((a) => actions.toJson(a)),
      root_password: rootPassword,
    });
  });

  routes.add(router, '/v1', 'get', '/servers/{id}', (req: Request, res: Response) => {
    res.json({ server: servers.toJson(servers.require(pathId(req, 'id', 'server'))) });
  });

  routes.add(router, '/v1', 'put', '/servers/{id}', (req: Request, res: Response) => {
    const server = servers.require(pathId(req, 'id', 'server'));
    const body = (req.body ?? {}) as Record<string, unknown>;
    if (body.labels !== undefined) {
      const problems = labelProblems(body.labels);
      if (problems.length > 0) throw HetznerError.invalidInput([{ name: 'labels', messages: problems }]);
      server.labels = { ...(body.labels as Record<string, string>) };
    }
    if (body.name !== undefined) {
      if (typeof body.name !== 'string' || body.name === '') throw HetznerError.invalidInput([{ name: 'name', messages: ['must be a valid hostname'] }]);
      if (servers.all().some((s) => s.name === body.name && s.id !== server.id)) throw new HetznerError(409, 'uniqueness_error', 'server name is already used');
      server.name = body.name;
    }
    res.json({ server: servers.toJson(server) });
  });

  routes.add(router, '/v1', 'delete', '/servers/{id}', (req: Request, res: Response) => {
    const action = servers.delete(pathId(req, 'id', 'server'));
    res.json({ action: actions.toJson(action) });
  });

  routes.add(router, '/v1', 'get', '/servers/{id}/actions', (req: Request, res: Response) => {
    const serverId = pathId(req, 'id', 'server');
    servers.require(serverId);
    const statuses = queryEnum(req, 'status', ['running', 'success', 'error'] as const);
    const matching = actions.forServer(serverId).filter((a) => statuses.length === 0 || statuses.includes(a.status));
    const sorted = sortBy(req, matching, actionSortFields);
    const { page, meta } = paginate(req, sorted);
    res.json({ actions: page.map((a) => actions.toJson(a)), meta });
  });

  for (const command of powerCommands) {
    routes.add(router, '/v1', 'post', `/servers/{id}/actions/${command}`, (req: Request, res: Response) => {
      const action = servers.power(pathId(req, 'id', 'server'), command);
      res.status(201).json({ action: actions.toJson(action) });
    });
  }

  routes.add(router, '/v1', 'post', '/servers/{id}/actions/create_image', (req: Request, res: Response) => {
    const { image, action } = servers.createImage(pathId(req, 'id', 'server'), req.body);
    res.status(201).json({ image: images.toJson(image), action: actions.toJson(action) });
  });

  routes.add(router, '/v1', 'get', '/servers/{id}/actions/{action_id}', (req: Request, res: Response) => {
    const serverId = pathId(req, 'id', 'server');
    const actionId = pathId(req, 'action_id', 'action');
    const action = actions.get(actionId);
    if (!action || !action.resources.some((r) => r.type === 'server' && r.id === serverId)) throw HetznerError.notFound('action', actionId);
    res.json({ action: actions.toJson(action) });
  });
}
