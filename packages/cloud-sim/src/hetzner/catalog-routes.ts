// Read-only catalog endpoints (`/v1/server_types`, `/v1/images`, `/v1/locations`,
// `/v1/datacenters`) that clients such as the hcloud CLI consult to resolve names on create.
import type { Request, Response, Router } from 'express';
import type { RouteTable } from '../route-table';
import { datacenters, images, locations, serverTypes } from './catalog';
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
  registerCatalog(router, routes, 'datacenters', 'datacenters', 'datacenter', datacenters);
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
