// agentctl as a library: the CLI runner (tests, scripts) and the sandbox's Stripe event
// builder and signer.
export { runAgentctl, buildProgram, COMMANDS } from './cli';
export type { CliIo } from './cli';
export { buildStripeEvent, stripeSignatureHeader } from './stripe-event';
export type { StripeEventInput } from './stripe-event';
export { defaultSubscriptionOf, STRIPE_EVENT_TYPES } from './stripe-event-types';
export type { StripeEventType } from './stripe-event-types';
