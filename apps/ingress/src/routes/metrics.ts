// Prometheus scrape endpoint: the app's own registry, as text.
import { Router } from 'express';
import type { IngressMetrics } from '../metrics';

export function metricsRouter(metrics: IngressMetrics): Router {
  const router = Router();
  router.get('/metrics', async (_req, res) => {
    res.type(metrics.registry.contentType).send(await metrics.registry.metrics());
  });
  return router;
}
