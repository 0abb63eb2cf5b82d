// First middleware of every request: a request id (the caller's `X-Request-Id` when it
// is sane, a new one otherwise), echoed back and carried by every log line, and one
// access-log line plus a latency observation when the response is finished.
import { randomUUID } from 'node:crypto';
import type { Logger } from '@agent-lifecycle/logger';
import type { NextFunction, Request, Response } from 'express';
import { routeTemplateOf } from '../request-context';

const SANE_REQUEST_ID = /^[\w.:-]{1,128}$/;

export interface RequestObserver {
  (request: { method: string; route: string; status: number; seconds: number }): void;
}

export function requestContext(logger: Logger, observe: RequestObserver) {
  return (req: Request, res: Response, next: NextFunction): void => {
    const started = process.hrtime.bigint();
    const offered = req.get('x-request-id');
    req.requestId = offered && SANE_REQUEST_ID.test(offered) ? offered : randomUUID();
    req.log = logger.child({ requestId: req.requestId });
    res.setHeader('X-Request-Id', req.requestId);
    res.on('finish', () => {
      const seconds = Number(process.hrtime.bigint() - started) / 1e9;
      const path = req.originalUrl.split('?')[0] ?? '';
      // Bull Board is a sub-application with its own routes: one label for all of it.
      const route = path.startsWith('/admin/queues') ? '/admin/queues' : (routeTemplateOf(req) ?? 'unmatched');
      observe({ method: req.method, route, status: res.statusCode, seconds });
      const line = { method: req.method, route, path, status: res.statusCode, durationMs: Math.round(seconds * 1000), userId: req.user?.id };
      if (res.statusCode >= 500) req.log.error(line, 'request failed');
      else req.log.info(line, 'request');
    });
    next();
  };
}
