// Applies the fault injector to a cloud API: a firing rule adds latency, hangs the call
// until the client gives up, or answers with its status in the API's own error shape.
import type { NextFunction, Request, RequestHandler, Response } from 'express';
import { ClockHalted, type Clock } from './clock';
import type { FaultInjector } from './faults';

/** Writes a fault's answer in the API's error format. */
export type FaultResponder = (res: Response, status: number, code: string | undefined) => void;

export function faultMiddleware(faults: FaultInjector, clock: Clock, respond: FaultResponder): RequestHandler {
  return async (req: Request, res: Response, next: NextFunction) => {
    const hit = faults.pick(req.method, req.originalUrl.split('?')[0] ?? req.path);
    if (!hit) return next();
    if (hit.latencyMs > 0) {
      try {
        await clock.sleepReal(hit.latencyMs);
      } catch (error) {
        // A reset or close cut the latency short; a closing simulator has no one to answer.
        if (!(error instanceof ClockHalted)) throw error;
        if (req.socket.destroyed) return;
      }
    }
    // A hung call stays open until the client gives up or the simulator closes its sockets.
    if (hit.hang) return;
    if (hit.status === undefined) return next();
    respond(res, hit.status, hit.code);
  };
}
