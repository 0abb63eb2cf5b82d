// What every router of the ingress is built from.
import type { Config } from '@agent-lifecycle/config';
import type { Db } from '@agent-lifecycle/db';
import type { RequestHandler } from 'express';
import type { IngressMetrics } from '../metrics';
import type { UseCasesOf } from '../use-cases';

export interface RouteDeps {
  config: Config;
  db: Db;
  useCases: UseCasesOf;
  metrics: IngressMetrics;
  /** Rate limits, bearer authentication and JSON parsing of the user API. */
  userApi: RequestHandler[];
  webhookBodyLimit: string | number;
}
