// `agentctl stripe send`: plays Stripe in the sandbox by POSTing a realistic, correctly
// signed event to the ingress's webhook, exactly as Stripe would deliver it.
import type { CommandSpec } from '../args';
import { CommandFailed, UsageError } from '../cli-errors';
import type { CliContext } from '../context';
import { keyValues } from '../output';
import { STRIPE_EVENT_TYPES, SUBSCRIPTION_STATUSES, defaultSubscriptionOf, type StripeEventType } from '../stripe-event-types';

const TIMEOUT_MS = 10_000;

async function post(url: string, payload: string, signature: string): Promise<{ status: number; body: unknown }> {
  let response: Response;
  try {
    response = await fetch(url, {
      method: 'POST',
      headers: { 'content-type': 'application/json', 'stripe-signature': signature, 'user-agent': 'Stripe/1.0 (+https://stripe.com/docs/webhooks) agentctl' },
      body: payload,
      signal: AbortSignal.timeout(TIMEOUT_MS),
    });
  } catch (error) {
    const cause = (error as { cause?: { code?: string; message?: string } }).cause;
    const reason = cause?.code ?? cause?.message ?? (error as Error).message;
    throw new CommandFailed(`Cannot reach the ingress at ${url} (${reason}); is \`npm start\` running?`);
  }
  const text = await response.text();
  let body: unknown = text;
  try {
    body = JSON.parse(text);
  } catch {
    // Not JSON: report the text as it came.
  }
  return { status: response.status, body };
}

export const stripeCommands: CommandSpec<CliContext>[] = [
  {
    group: 'stripe',
    verb: 'send',
    summary: 'send a signed Stripe event to the local ingress (sandbox helper)',
    positionals: [{ name: 'TYPE', description: `the event type: ${STRIPE_EVENT_TYPES.join(', ')}` }],
    options: {
      customer: { value: 'cus_…', description: 'the Stripe customer the event is about', required: true },
      subscription: { value: 'sub_…', description: 'the subscription (default: sub_<customer suffix>, the same for every event)' },
      status: { value: 'STATUS', description: 'subscription status for customer.subscription.created/updated (default active)', choices: SUBSCRIPTION_STATUSES },
      url: { value: 'URL', description: 'where to POST (default $PUBLIC_URL/api/webhooks/stripe)' },
    },
    notes: [
      'Signs with STRIPE_WEBHOOK_SECRET (in the sandbox, the one `npm start` generated and',
      'wrote to .data/sandbox.env). Exits 1 without sending when no user has the customer',
      '(the ingress would ignore the event), and unless the ingress answers 2xx.',
    ],
    async run(context, args) {
      const type = args.positionals.TYPE ?? '';
      if (!(STRIPE_EVENT_TYPES as readonly string[]).includes(type)) {
        throw new UsageError(`agentctl stripe send: unsupported event type "${type}"; choose from ${STRIPE_EVENT_TYPES.join(', ')}`);
      }
      const customer = args.options.customer ?? '';
      if (!/^cus_\w+$/.test(customer)) throw new UsageError(`agentctl stripe send: --customer must look like cus_… (got "${customer}")`);
      const subscription = args.options.subscription ?? defaultSubscriptionOf(customer);
      if (!/^sub_\w+$/.test(subscription)) throw new UsageError(`agentctl stripe send: --subscription must look like sub_… (got "${subscription}")`);
      if (args.options.status !== undefined && !['customer.subscription.created', 'customer.subscription.updated'].includes(type)) {
        throw new UsageError('agentctl stripe send: --status applies to customer.subscription.created/updated only');
      }

      const config = context.config();
      if (config.generatedSecrets.includes('STRIPE_WEBHOOK_SECRET')) {
        throw new CommandFailed('STRIPE_WEBHOOK_SECRET is not set and no .data/sandbox.env from `npm start` was found; set it to the secret the ingress uses.');
      }
      // The ingress answers 200 to an event about a customer it does not know, and ignores
      // it: so that a mistyped customer is not a silent no-op, look the customer up first.
      const owner = await context.db().user.findUnique({ where: { stripeCustomerId: customer }, select: { id: true } });
      if (!owner) {
        throw new CommandFailed(
          `No user has Stripe customer ${customer}, so the ingress would ignore the event (unknown_customer); nothing was sent. Create one with \`agentctl user create --email E --stripe-customer ${customer}\`.`,
        );
      }
      const url = args.options.url ?? `${config.publicUrl}/api/webhooks/stripe`;
      // The `stripe` package is slow to load: only this command needs it.
      const { buildStripeEvent, stripeSignatureHeader } = await import('../stripe-event');
      const event = buildStripeEvent({ type: type as StripeEventType, customer, subscription, ...(args.options.status ? { status: args.options.status } : {}) });
      const payload = JSON.stringify(event);
      const answer = await post(url, payload, stripeSignatureHeader(payload, config.stripe.webhookSecret));
      if (answer.status < 200 || answer.status >= 300) {
        throw new CommandFailed(`The ingress answered ${answer.status} to ${type} ${String(event.id)}: ${JSON.stringify(answer.body)}`);
      }
      return {
        json: { event: { id: event.id, type, customer, subscription, created: event.created }, url, status: answer.status, response: answer.body },
        text: keyValues([
          ['Sent', `${type} ${String(event.id)}`],
          ['Customer', customer],
          ['Subscription', subscription],
          ['To', url],
          ['Answer', `${answer.status} ${JSON.stringify(answer.body)}`],
        ]),
      };
    },
  },
];
