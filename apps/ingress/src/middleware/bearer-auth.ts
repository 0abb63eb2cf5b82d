// User API authentication: `Authorization: Bearer <api token>`, looked up by its hash.
// Missing and unknown tokens get the same 401, so the answer says nothing about which, and
// count against the caller's budget of failed authentications (429 once it is spent).
import type { Db } from '@agent-lifecycle/db';
import { authenticate } from '@agent-lifecycle/lifecycle';
import type { NextFunction, Request, RequestHandler, Response } from 'express';
import { HttpError } from '../errors';

const CHALLENGE = { 'WWW-Authenticate': 'Bearer realm="agent-lifecycle"' };

export function bearerToken(req: Request): string | undefined {
  const match = /^Bearer +(\S+) *$/i.exec(req.get('authorization') ?? '');
  return match?.[1];
}

export function bearerAuth(db: Db, failedAuthLimit: RequestHandler) {
  return async (req: Request, res: Response, next: NextFunction): Promise<void> => {
    const token = bearerToken(req);
    const user = token ? await authenticate(db, token) : null;
    if (user) {
      // The access log line names the user; one child logger a request is enough.
      req.user = user;
      next();
      return;
    }
    const refusal = token
      ? new HttpError(401, 'unauthorized', 'The API token is not valid.', undefined, CHALLENGE)
      : new HttpError(401, 'unauthorized', 'Send an API token as `Authorization: Bearer <token>`.', undefined, CHALLENGE);
    await failedAuthLimit(req, res, (error?: unknown) => next(error ?? refusal));
  };
}
