// User API authentication: `Authorization: Bearer <api token>`, looked up by its hash.
// Missing and unknown tokens get the same 401, so the answer says nothing about which.
import type { Db } from '@agent-lifecycle/db';
import { authenticate } from '@agent-lifecycle/lifecycle';
import type { NextFunction, Request, Response } from 'express';
import { HttpError } from '../errors';

const CHALLENGE = { 'WWW-Authenticate': 'Bearer realm="agent-lifecycle"' };

export function bearerToken(req: Request): string | undefined {
  const match = /^Bearer +(\S+) *$/i.exec(req.get('authorization') ?? '');
  return match?.[1];
}

export function bearerAuth(db: Db) {
  return async (req: Request, _res: Response, next: NextFunction): Promise<void> => {
    const token = bearerToken(req);
    if (!token) throw new HttpError(401, 'unauthorized', 'Send an API token as `Authorization: Bearer <token>`.', undefined, CHALLENGE);
    const user = await authenticate(db, token);
    if (!user) throw new HttpError(401, 'unauthorized', 'The API token is not valid.', undefined, CHALLENGE);
    // The access log line names the user; one child logger a request is enough.
    req.user = user;
    next();
  };
}
