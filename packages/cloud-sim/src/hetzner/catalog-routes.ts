// Catalog endpoints (`/v1/server_types` with prices per location, `/v1/locations`, `/v1/pricing`,
// `/v1/images` with system images and snapshots) that clients consult to resolve names and
// prices; deleting a snapshot; `/v1/datacenters` is gone (410).
import type { Request, Response, Router } from 'express';
import type { RouteTable } from '../route-table';
import { locations, pricingJson, serverTypes, type ImageJson } from './catalog';
import { HetznerError } from './errors';
import { matchesLabelSelector } from './label-selector';
import type { ImageStore } from './images';
import { paginate, pathId, queryBoolean, queryEnum, queryLabelSelector, queryValue, sortBy } from './query';

interface Named {
  id: number;
  name: string | null;
}

function registerCatalog<T extends Named>(router: Router, routes: RouteTable, path: string, plural: string, singular: string, entries: () => T[], filter: (req: Request, entry: T) => boolean = () => true): void {
  routes.add(router, '/v1', 'get', `/${path}`, (req: Request, res: Response) => {
    const name = queryValue(req, 'name');
    const matching = entries().filter((e) => (name === undefined || e.name === name) && filter(req, e));
    const sorted = sortBy(req, matching, { id: (a, b) => a.id - b.id, name: (a, b) => (a.name ?? '').localeCompare(b.name ?? '') });
    const { page, meta } = paginate(req, sorted);
    res.json({ [plural]: page, meta });
  });
  routes.add(router, '/v1', 'get', `/${path}/{id}`, (req: Request, res: Response) => {
    const id = pathId(req, 'id', singular.replace('_', ' '));
    const entry = entries().find((e) => e.id === id);
    if (!entry) throw HetznerError.notFound(singular.replace('_', ' '), id);
    res.json({ [singular]: entry });
  });
}

export function registerCatalogRoutes(router: Router, routes: RouteTable, images: ImageStore): void {
  registerCatalog(router, routes, 'server_types', 'server_types', 'server_type', () => serverTypes);
  registerCatalog(router, routes, 'locations', 'locations', 'location', () => locations);
  routes.add(router, '/v1', 'get', '/pricing', (_req: Request, res: Response) => {
    res.json({ pricing: pricingJson() });
  });
  // Removed from the API after 2026-10-01 (changelog 2026-06-02-datacenters-deprecated).
  const gone = () => {
    throw new HetznerError(410, 'deprecated_api_endpoint', 'The API functionality was removed');
  };
  routes.add(router, '/v1', 'get', '/datacenters', gone);
  routes.add(router, '/v1', 'get', '/datacenters/{id}', gone);
  registerCatalog<ImageJson>(router, routes, 'images', 'images', 'image', () => images.listed(), (req, image) => {
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
  routes.add(router, '/v1', 'delete', '/images/{id}', (req: Request, res: Response) => {
    const id = pathId(req, 'id', 'image');
    const snapshot = images.get(id);
    if (!snapshot) {
      if (images.find(id)) throw new HetznerError(403, 'forbidden', 'only snapshot and backup images can be deleted');
      throw HetznerError.notFound('image', id);
    }
    if (snapshot.status === 'creating') throw new HetznerError(423, 'locked', `image ${id} is still being created`);
    images.remove(id);
    res.status(204).end();
  });
}
