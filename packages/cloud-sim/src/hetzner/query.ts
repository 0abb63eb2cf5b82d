// Reading Hetzner list parameters from a query string: repeatable filters, sorts, the
// label selector and pagination, each rejected with `invalid_input` naming the parameter.
import type { Request } from 'express';
import { pathParam } from '../route-table';
import { HetznerError } from './errors';
import { InvalidLabelSelector, parseLabelSelector, type LabelSelector } from './label-selector';

/** A path id as Hetzner's integer id; anything else cannot name a resource. */
export function pathId(req: Request, param: string, resource: string): number {
  const raw = pathParam(req, param);
  if (!/^\d+$/.test(raw)) throw HetznerError.notFound(resource, raw);
  return Number(raw);
}

/** Every value of a query parameter, whether given once or repeated (`?status=a&status=b`). */
export function queryValues(req: Request, name: string): string[] {
  const raw = (req.query as Record<string, unknown>)[name];
  if (raw === undefined) return [];
  const values = Array.isArray(raw) ? raw : [raw];
  return values.map((value) => {
    if (typeof value !== 'string') throw HetznerError.invalidInput([{ name, messages: ['must be a string'] }]);
    return value;
  });
}

export function queryValue(req: Request, name: string): string | undefined {
  const values = queryValues(req, name);
  return values[values.length - 1];
}

export function queryLabelSelector(req: Request): LabelSelector {
  const selector = queryValue(req, 'label_selector');
  if (selector === undefined) return [];
  try {
    return parseLabelSelector(selector);
  } catch (error) {
    if (error instanceof InvalidLabelSelector) throw HetznerError.invalidInput([{ name: 'label_selector', messages: [error.message] }], error.message);
    throw error;
  }
}

export function queryEnum<T extends string>(req: Request, name: string, allowed: readonly T[]): T[] {
  return queryValues(req, name).map((value) => {
    if (!allowed.includes(value as T)) throw HetznerError.invalidInput([{ name, messages: [`must be one of ${allowed.join(', ')}`] }]);
    return value as T;
  });
}

export function queryBoolean(req: Request, name: string): boolean | undefined {
  const value = queryValue(req, name);
  if (value === undefined) return undefined;
  if (value !== 'true' && value !== 'false') throw HetznerError.invalidInput([{ name, messages: ['must be true or false'] }]);
  return value === 'true';
}

type Comparator<T> = (a: T, b: T) => number;

/** Applies `?sort=field[:asc|:desc]` (repeatable) using the comparators a resource supports; ids break ties. */
export function sortBy<T extends { id: number }>(req: Request, items: T[], fields: Record<string, Comparator<T>>): T[] {
  const allowed = Object.keys(fields).flatMap((f) => [f, `${f}:asc`, `${f}:desc`]);
  const sorts = queryEnum(req, 'sort', allowed).map((sort) => {
    const [field = '', direction] = sort.split(':');
    const compare = fields[field];
    if (!compare) throw HetznerError.invalidInput([{ name: 'sort', messages: [`cannot sort by ${field}`] }]);
    return direction === 'desc' ? (a: T, b: T) => compare(b, a) : compare;
  });
  return [...items].sort((a, b) => {
    for (const compare of sorts) {
      const order = compare(a, b);
      if (order !== 0) return order;
    }
    return a.id - b.id;
  });
}

export interface PaginationMeta {
  page: number;
  per_page: number;
  previous_page: number | null;
  next_page: number | null;
  last_page: number;
  total_entries: number;
}

function positiveInteger(req: Request, name: string, fallback: number): number {
  const value = queryValue(req, name);
  if (value === undefined) return fallback;
  const number = Number(value);
  if (!/^\d+$/.test(value) || !Number.isSafeInteger(number) || number < 1) throw HetznerError.invalidInput([{ name, messages: ['must be a positive integer'] }]);
  return number;
}

/** One page of `items` and the `meta.pagination` Hetzner sends with it (25 per page, at most 50). */
export function paginate<T>(req: Request, items: T[]): { page: T[]; meta: { pagination: PaginationMeta } } {
  const page = positiveInteger(req, 'page', 1);
  const perPage = Math.min(50, positiveInteger(req, 'per_page', 25));
  const lastPage = Math.max(1, Math.ceil(items.length / perPage));
  return {
    page: items.slice((page - 1) * perPage, page * perPage),
    meta: {
      pagination: {
        page,
        per_page: perPage,
        previous_page: page > 1 ? Math.min(page - 1, lastPage) : null,
        next_page: page < lastPage ? page + 1 : null,
        last_page: lastPage,
        total_entries: items.length,
      },
    },
  };
}
