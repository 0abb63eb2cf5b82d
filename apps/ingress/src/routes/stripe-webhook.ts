// Stripe's webhook: the `Stripe-Signature` is verified over the raw body (300 s
// tolerance) before anything is read; a verified event is translated into a billing event
// and goes to billing, which applies it at most once and in `created` order. Ignored types,
// duplicates, stale events and unknown customers are all answered 200 `{received: true}` so
// Stripe stops retrying.
import { Router } from 'express';
import Stripe from 'stripe';
import { z } from 'zod';
import { HttpError } from '../errors';
import { rawBody, rawBodyOf } from '../middleware/body-parsing';
import { findNulCharacter } from '../webhooks/nul-characters';
import { billingEventOf } from '../webhooks/stripe-billing-event';
import { parseInput } from '../validation';
import type { RouteDeps } from './route-deps';

export const STRIPE_TOLERANCE_SECONDS = 300;
/** Latest second a JavaScript Date (and PostgreSQL timestamp) takes comfortably: year 9999. */
const LAST_SECOND = 253_402_300_799;

const stripeEvent = z.object({
  id: z.string().regex(/^[A-Za-z0-9_-]{1,255}$/, 'must be a Stripe event id'),
  type: z.string().regex(/^[a-z0-9_.]{1,128}$/, 'must be a Stripe event type'),
  created: z.number().int().min(0).max(LAST_SECOND),
  data: z.object({ object: z.record(z.string(), z.unknown()) }),
});

function verify(raw: Buffer, signature: string | undefined, secret: string): unknown {
  try {
    return Stripe.webhooks.constructEvent(raw, signature ?? '', secret, STRIPE_TOLERANCE_SECONDS);
  } catch (error) {
    if (error instanceof Stripe.errors.StripeSignatureVerificationError) {
      throw new HttpError(400, 'invalid_signature', 'The Stripe-Signature header does not verify.');
    }
    if (error instanceof SyntaxError) throw new HttpError(400, 'invalid_json', 'The request body is not valid JSON.');
    throw new HttpError(400, 'invalid_event', 'The request body is not a Stripe event.');
  }
}

export function stripeWebhookRouter({ config, useCases, metrics, webhookBodyLimit }: RouteDeps): Router {
  const router = Router();
  router.post('/api/webhooks/stripe', ...rawBody(webhookBodyLimit), async (req, res) => {
    let verified: unknown;
    try {
      verified = verify(rawBodyOf(req), req.get('stripe-signature'), config.stripe.webhookSecret);
    } catch (error) {
      if (error instanceof HttpError && error.code === 'invalid_signature') {
        metrics.webhookVerificationFailed('stripe');
        req.log.warn('Stripe webhook refused: signature');
      }
      throw error;
    }
    const event = parseInput(stripeEvent, verified, 'Stripe event');
    if (findNulCharacter(event.data.object)) throw new HttpError(400, 'invalid_event', 'The Stripe event contains NUL characters.');
    const billingEvent = billingEventOf(event);
    if (typeof billingEvent === 'string') {
      req.log.debug({ stripeEventId: event.id, type: event.type, outcome: billingEvent }, 'Stripe event is not a billing event');
      metrics.webhookEvent('stripe', billingEvent);
      res.status(200).json({ received: true });
      return;
    }
    const result = await useCases(req).billing.applyBillingEvent(billingEvent);
    metrics.webhookEvent('stripe', result.outcome);
    metrics.operationsCreated(result.operations);
    res.status(200).json({ received: true });
  });
  return router;
}
