// Body parsing for the two kinds of routes: the user API gets parsed JSON, webhooks get
// the raw bytes their signature covers. Both insist on a JSON media type when a body is
// sent and stop at the size limit (413 via the error mapping).
import express, { type NextFunction, type Request, type RequestHandler, type Response } from 'express';
import { HttpError } from '../errors';

export const DEFAULT_BODY_LIMIT = '64kb';
export const DEFAULT_WEBHOOK_BODY_LIMIT = '256kb';

function hasBody(req: Request): boolean {
  const length = req.headers['content-length'];
  return req.headers['transfer-encoding'] !== undefined || (length !== undefined && length !== '0');
}

/** 415 unless a request that carries a body says it is JSON. */
export function requireJsonContent(req: Request, _res: Response, next: NextFunction): void {
  if (hasBody(req) && !req.is('application/json')) {
    throw new HttpError(415, 'unsupported_media_type', 'Send the body as application/json.');
  }
  next();
}

/** Parsed JSON (objects and arrays only) in `req.body`; undefined when no body was sent. */
export function jsonBody(limit: string | number = DEFAULT_BODY_LIMIT): RequestHandler[] {
  return [requireJsonContent, express.json({ limit, strict: true, type: 'application/json' })];
}

/** The exact bytes of the body in `req.body` (a Buffer), for signature checks. */
export function rawBody(limit: string | number = DEFAULT_WEBHOOK_BODY_LIMIT): RequestHandler[] {
  return [requireJsonContent, express.raw({ limit, type: () => true })];
}

export function rawBodyOf(req: Request): Buffer {
  return Buffer.isBuffer(req.body) ? req.body : Buffer.alloc(0);
}
