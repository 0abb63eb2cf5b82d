// The provisioning workflow's callback: signature and replay window first (401), then
// the delivery id and the body (400); a valid delivery is applied at most once and
// answered 200 `{received: true}`, also when it is a duplicate or stale.
import { provisioningCallbackSchema } from '@agent-lifecycle/contracts';
import { Router } from 'express';
import { z } from 'zod';
import { HttpError } from '../errors';
import { rawBody, rawBodyOf } from '../middleware/body-parsing';
import { verifyCallbackSignature } from '../webhooks/callback-signature';
import { parseInput } from '../validation';
import type { RouteDeps } from './route-deps';

const deliveryId = z.string({ error: 'is required' }).regex(/^[\x21-\x7e]{1,128}$/, 'must be 1 to 128 visible ASCII characters');

export function githubWebhookRouter({ config, useCases, metrics, webhookBodyLimit }: RouteDeps): Router {
  const router = Router();
  router.post('/api/webhooks/github', ...rawBody(webhookBodyLimit), async (req, res) => {
    const raw = rawBodyOf(req);
    const verdict = verifyCallbackSignature({ rawBody: raw, signature: req.get('x-hub-signature-256'), timestamp: req.get('x-callback-timestamp') }, config.github.callbackSecret);
    if (verdict !== 'valid') {
      metrics.webhookVerificationFailed('github');
      req.log.warn({ verdict }, 'provisioning callback refused: signature');
      throw new HttpError(401, 'invalid_signature', 'The callback signature or timestamp does not verify.');
    }
    const delivery = parseInput(deliveryId, req.get('x-delivery-id'), 'X-Delivery-Id header');
    let json: unknown;
    try {
      json = JSON.parse(raw.toString('utf8'));
    } catch {
      throw new HttpError(400, 'invalid_json', 'The request body is not valid JSON.');
    }
    const callback = parseInput(provisioningCallbackSchema, json, 'callback body');
    const result = await useCases(req).callbacks.applyProvisioningCallback(delivery, callback);
    metrics.webhookEvent('github', result.outcome);
    metrics.operationsCreated(result.operations);
    res.status(200).json({ received: true });
  });
  return router;
}
