// The lifecycle use cases the ingress calls, built per request (only the one a route uses)
// around the request's logger, so every line they write carries the request id.
import type { Db } from '@agent-lifecycle/db';
import { createBilling, createOperationRequests, createProvisioningCallbacks, type OperationQueue } from '@agent-lifecycle/lifecycle';
import type { Logger } from '@agent-lifecycle/logger';
import type { Request } from 'express';

export interface UseCaseDeps {
  db: Db;
  queue: OperationQueue;
}

export function useCasesFor(deps: UseCaseDeps) {
  return (req: Request) => {
    const logger: Logger = req.log;
    return {
      get requests() {
        return createOperationRequests({ db: deps.db, queue: deps.queue, logger });
      },
      get billing() {
        return createBilling({ db: deps.db, queue: deps.queue, logger });
      },
      get callbacks() {
        return createProvisioningCallbacks({ db: deps.db, queue: deps.queue, logger });
      },
    };
  };
}

export type UseCasesOf = ReturnType<typeof useCasesFor>;
