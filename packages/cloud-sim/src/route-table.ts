// Cloud routes declared once with their documented templates ("/v1/servers/{id}"): the
// table registers them with Express and names any request path by its template for counting.
import type { Request, RequestHandler, Router } from 'express';

type Method = 'get' | 'post' | 'put' | 'delete';

interface Entry {
  method: string;
  template: string;
  pattern: RegExp;
}

function templateToPattern(template: string): RegExp {
  const escaped = template
    .split(/(\{[^}]+\})/)
    .map((part) => (part.startsWith('{') ? '[^/]+' : part.replace(/[.*+?^$()|[\]\\]/g, '\\$&')))
    .join('');
  return new RegExp(`^${escaped}/?$`);
}

export class RouteTable {
  private readonly entries: Entry[] = [];

  /** Registers `handler` on `router` (mounted at `prefix`) under a `{param}` template. */
  add(router: Router, prefix: string, method: Method, template: string, ...handlers: RequestHandler[]): void {
    const expressPath = template.replace(/\{([^}]+)\}/g, ':$1');
    router[method](expressPath, ...handlers);
    const fullTemplate = prefix + template;
    this.entries.push({ method: method.toUpperCase(), template: fullTemplate, pattern: templateToPattern(fullTemplate) });
  }

  /** "POST /v1/servers/{id}/actions/shutdown" for a matching request, else the raw path. */
  keyFor(method: string, path: string): string {
    const entry = this.entries.find((e) => e.method === method && e.pattern.test(path));
    return `${method} ${entry ? entry.template : path}`;
  }
}

/** A named path parameter as one string (Express types them as possibly repeated). */
export function pathParam(req: Request, name: string): string {
  const value = req.params[name];
  return Array.isArray(value) ? value.join('/') : (value ?? '');
}
