// Read-only catalog endpoints (`/v1/server_types`, `/v1/images`, `/v1/locations`) that clients
// such as the hcloud CLI consult to resolve names on create; `/v1/datacenters` is gone (410).
import type { Request, Response, Router } from 'express';
import type { RouteTable } from '../route-table';
import { images, locations, serverTypes } from './catalog';
import { HetznerError } from './errors';
import { matchesLabelSelector } from './label-selector';
import { paginate, pathId, queryBoolean, queryEnum, queryLabelSelector, queryValue, sortBy } from './query';

interface Named {
  id: number;
  name: string;
}

function registerCatalog<T extends Named>(router: Router, routes: RouteTable, path: string, plural: string, singular: string, entries: T[], filter: (req: Request, entry: T) => boolean = () => true): void {
  routes.add(router, '/v1', 'get', `/${path}`, (req: Request, res: Response) => {
    const name = queryValue(req, 'name');
    const matching = entries.filter((e) => (name === undefined || e.name === name) && filter(req, e));
    const sorted = sortBy(req, matching, { id: (a, b) => a.id - b.id, name: (a, b) => a.name.localeCompare(b.name) });
    const { page, meta } = paginate(req, sorted);
    res.json({ [plural]: page, meta });
  });
  routes.add(router, '/v1', 'get', `/${path}/{id}`, (req: Request, res: Response) => {
    const id = pathId(req, 'id', singular.replace('_', ' '));
    const entry = entries.find((e) => e.id === id);
    if (!entry) throw HetznerError.notFound(singular.replace('_', ' '), id);
    res.json({ [singular]: entry });
  });
}

export function registerCatalogRoutes(router: Router, routes: RouteTable): void {
  registerCatalog(router, routes, 'server_types', 'server_types', 'server_type', serverTypes);
  registerCatalog(router, routes, 'locations', 'locations', 'location', locations);
  // Removed from the API after 2026-10-01 (changelog 2026-06-02-datacenters-deprecated).
  const gone = () => {
    throw new HetznerError(410, 'deprecated_api_endpoint', 'The API functionality was removed');
  };
  routes.add(router, '/v1', 'get', '/datacenters', gone);
  routes.add(router, '/v1', 'get', '/datacenters/{id}', gone);
  registerCatalog(router, routes, 'images', 'images', 'image', images, (req, image) => {
    const types = queryEnum(req, 'type', ['system', 'snapshot', 'backup', 'app'] as const);
    const architectures = queryEnum(req, 'architecture', ['x86', 'arm'] as const);
    const statuses = queryEnum(req, 'status', ['available', 'creating', 'unavailable'] as const);
    queryBoolean(req, 'include_deprecated');
    return (
      (types.length === 0 || types.includes(image.type)) &&
      (architectures.length === 0 || architectures.includes(image.architecture)) &&
      (statuses.length === 0 || statuses.includes(image.status)) &&
      matchesLabelSelector(image.labels, queryLabelSelector(req))
    );
  });
}
