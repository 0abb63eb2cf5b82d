// The last two handlers: a JSON 404 for any route nobody answered, and the error handler
// that turns whatever was thrown into the contract's error body (see ../errors.ts).
import type { Logger } from '@agent-lifecycle/logger';
import type { NextFunction, Request, Response } from 'express';
import { HttpError, toErrorResponse } from '../errors';

export function notFound(_req: Request, _res: Response, next: NextFunction): void {
  next(new HttpError(404, 'not_found', 'No such route.'));
}

export function errorHandler(fallbackLogger: Logger) {
  return (error: unknown, req: Request, res: Response, _next: NextFunction): void => {
    const response = toErrorResponse(error);
    const log = req.log ?? fallbackLogger;
    if (response.internal) log.error({ err: error }, 'request failed');
    else log.debug({ code: response.body.error.code, status: response.status }, 'request refused');
    if (res.headersSent) {
      // Too late for an error body: cut the connection so the client sees the failure.
      res.destroy();
      return;
    }
    res.set(response.headers).status(response.status).json(response.body);
  };
}
