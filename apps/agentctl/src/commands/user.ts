// `agentctl user create|token|list`: accounts and their API tokens. A token is printed once;
// only its hash is stored, so a lost token is replaced, never recovered.
import { createUser, issueTokenByEmail } from '@agent-lifecycle/lifecycle';
import type { User } from '@agent-lifecycle/db';
import type { CommandSpec } from '../args';
import { UsageError } from '../cli-errors';
import type { CliContext } from '../context';
import { keyValues, shortDate, table } from '../output';

const EMAIL = /^[^\s@]+@[^\s@]+$/;

function checkEmail(command: string, email: string): string {
  if (!EMAIL.test(email)) throw new UsageError(`agentctl user ${command}: --email must be an email address (got "${email}")`);
  return email;
}

const userJson = (user: User) => ({ id: user.id, email: user.email, stripeCustomerId: user.stripeCustomerId, createdAt: user.createdAt.toISOString() });

function tokenText(headline: string, user: User, token: string): string {
  return [
    headline,
    keyValues([
      ['User', user.id],
      ['Email', user.email],
      ['Stripe customer', user.stripeCustomerId],
    ]),
    '',
    'API token (shown once; only its hash is stored):',
    token,
  ].join('\n');
}

export const userCommands: CommandSpec<CliContext>[] = [
  {
    group: 'user',
    verb: 'create',
    summary: 'create a user and print an API token (shown once)',
    positionals: [],
    options: {
      email: { value: 'EMAIL', description: 'the user\'s email address', required: true },
      'stripe-customer': { value: 'cus_…', description: 'the Stripe customer whose billing events act on this user\'s agents' },
    },
    async run(context, args) {
      const email = checkEmail('create', args.options.email ?? '');
      const customer = args.options['stripe-customer'];
      if (customer !== undefined && !/^cus_\w+$/.test(customer)) throw new UsageError(`agentctl user create: --stripe-customer must look like cus_… (got "${customer}")`);
      const { user, token } = await createUser(context.db(), { email, ...(customer ? { stripeCustomerId: customer } : {}) });
      return { json: { user: userJson(user), token }, text: tokenText(`Created user ${user.email}.`, user, token) };
    },
  },
  {
    group: 'user',
    verb: 'token',
    summary: 'issue a new API token for a user',
    positionals: [],
    options: { email: { value: 'EMAIL', description: 'the user\'s email address', required: true } },
    notes: ['Earlier tokens stay valid.'],
    async run(context, args) {
      const email = checkEmail('token', args.options.email ?? '');
      const { user, token } = await issueTokenByEmail(context.db(), email);
      return { json: { user: userJson(user), token }, text: tokenText(`New token for ${user.email}.`, user, token) };
    },
  },
  {
    group: 'user',
    verb: 'list',
    summary: 'list users with their Stripe customer, latest subscription status and live agents',
    positionals: [],
    options: {},
    async run(context) {
      const users = await context.db().user.findMany({
        orderBy: { createdAt: 'asc' },
        include: {
          subscriptions: { orderBy: { lastEventAt: 'desc' }, take: 1, select: { id: true, status: true } },
          _count: { select: { agents: { where: { status: { not: 'destroyed' } } }, apiTokens: { where: { revokedAt: null } } } },
        },
      });
      const views = users.map((user) => ({
        ...userJson(user),
        subscription: user.subscriptions[0] ?? null,
        liveAgents: user._count.agents,
        tokens: user._count.apiTokens,
      }));
      const rows = views.map((user) => [user.email, user.stripeCustomerId, user.subscription?.status, user.liveAgents, user.tokens, shortDate(user.createdAt), user.id]);
      const text = views.length === 0 ? 'No users.' : table(['EMAIL', 'STRIPE CUSTOMER', 'SUBSCRIPTION', 'LIVE AGENTS', 'TOKENS', 'CREATED', 'ID'], rows);
      return { json: { users: views }, text };
    },
  },
];
