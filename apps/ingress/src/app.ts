// The ingress as an Express app (no listen): the only door into the system. It
// authenticates, validates, lets the lifecycle record the operation and its audit entry
// in one transaction and enqueue it, and answers at once. It never calls a cloud API.
import type { Config } from '@agent-lifecycle/config';
import type { Db } from '@agent-lifecycle/db';
import type { JobQueues } from '@agent-lifecycle/jobs';
import type { Logger } from '@agent-lifecycle/logger';
import express, { type Express } from 'express';
import helmet from 'helmet';
import { BULL_BOARD_PATH, bullBoardRouter } from './bull-board';
import { connectedQueue } from './connected-queue';
import { createMetrics } from './metrics';
import { bearerAuth } from './middleware/bearer-auth';
import { DEFAULT_BODY_LIMIT, DEFAULT_WEBHOOK_BODY_LIMIT, jsonBody } from './middleware/body-parsing';
import { errorHandler, notFound } from './middleware/error-handler';
import { DEFAULT_RATE_LIMIT, userApiRateLimits, type RateLimitSettings } from './middleware/rate-limit';
import { requestContext } from './middleware/request-context';
import { agentsRouter } from './routes/agents';
import { githubWebhookRouter } from './routes/github-webhook';
import { healthRouter, READINESS_TIMEOUT_MS, type Pingable } from './routes/health';
import { metricsRouter } from './routes/metrics';
import { operationsRouter } from './routes/operations';
import type { RouteDeps } from './routes/route-deps';
import { stripeWebhookRouter } from './routes/stripe-webhook';
import { useCasesFor } from './use-cases';
import './request-context';

export interface AppDeps {
  config: Config;
  db: Db;
  queues: JobQueues;
  /** The producer's Redis connection: pinged by the readiness check, and enqueues wait for nothing while it is down. */
  redis: Pingable & { readonly status: string };
  logger: Logger;
}

export interface AppOptions {
  rateLimit?: Partial<RateLimitSettings>;
  /** Largest accepted JSON body of the user API (`64kb` by default). */
  bodyLimit?: string | number;
  /** Largest accepted webhook body (`256kb` by default: a Stripe event must never bounce on size). */
  webhookBodyLimit?: string | number;
  readinessTimeoutMs?: number;
  /** Also export the process's default metrics (CPU, memory, event loop); off for tests. */
  processMetrics?: boolean;
}

export function createApp(deps: AppDeps, options: AppOptions = {}): Express {
  const { config, db, queues, redis, logger } = deps;
  const bodyLimit = options.bodyLimit ?? DEFAULT_BODY_LIMIT;
  const metrics = createMetrics({ queues, logger, processMetrics: options.processMetrics });
  const limits = userApiRateLimits({ ...DEFAULT_RATE_LIMIT, ...options.rateLimit });
  const routeDeps: RouteDeps = {
    config,
    db,
    useCases: useCasesFor({ db, queue: connectedQueue(queues, redis) }),
    metrics,
    userApi: [bearerAuth(db, limits.failedAuth), limits.perUser, ...jsonBody(bodyLimit)],
    webhookBodyLimit: options.webhookBodyLimit ?? DEFAULT_WEBHOOK_BODY_LIMIT,
  };

  const app = express();
  app.disable('x-powered-by');
  // Answers are small, mostly 202s and webhook acknowledgements: hashing each for an ETag is waste.
  app.disable('etag');
  app.set('query parser', 'simple');
  app.use(requestContext(logger, metrics.observeRequest));
  app.use(BULL_BOARD_PATH, bullBoardRouter({ queues, ...config.bullBoard }));
  app.use(helmet());
  app.use(healthRouter({ db, redis, timeoutMs: options.readinessTimeoutMs ?? READINESS_TIMEOUT_MS }));
  app.use(metricsRouter(metrics));
  app.use(stripeWebhookRouter(routeDeps));
  app.use(githubWebhookRouter(routeDeps));
  app.use(agentsRouter(routeDeps));
  app.use(operationsRouter(routeDeps));
  app.use(notFound);
  app.use(errorHandler(logger));
  return app;
}
