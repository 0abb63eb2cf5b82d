// The sandbox's demo: on an empty database, a user with a Stripe customer and a few agents
// provisioned the real way (POST /api/agents → worker → simulated workflow → callback);
// on later starts, a fresh token for that user.
import type { Db } from '@agent-lifecycle/db';
import { createUser, issueTokenByEmail } from '@agent-lifecycle/lifecycle';
import { sleep } from './net';

export const DEMO_EMAIL = 'demo@example.com';
export const DEMO_CUSTOMER = 'cus_demo';
const DEMO_AGENTS = ['demo-agent-1', 'demo-agent-2', 'demo-agent-3'];
const PROVISIONING_TIMEOUT_MS = 120_000;

export interface Demo {
  /** Null when the database has users but no demo user. */
  token: string | null;
  /** Agent status → count, for the demo user. */
  agents: Record<string, number>;
  seeded: boolean;
  /** Something the operator should know (e.g. agents of an earlier run). */
  notes: string[];
}

interface DemoDeps {
  db: Db;
  apiUrl: string;
  say(message: string): void;
  /** True once start-up is being abandoned (a child died, Ctrl-C). */
  abandoned(): boolean;
}

async function api(deps: DemoDeps, token: string, method: string, route: string, body?: unknown): Promise<{ status: number; json: Record<string, unknown> }> {
  const response = await fetch(`${deps.apiUrl}${route}`, {
    method,
    headers: { authorization: `Bearer ${token}`, ...(body ? { 'content-type': 'application/json' } : {}) },
    body: body ? JSON.stringify(body) : undefined,
    signal: AbortSignal.timeout(10_000),
  });
  return { status: response.status, json: (await response.json()) as Record<string, unknown> };
}

async function statusCounts(db: Db, email: string): Promise<Record<string, number>> {
  const agents = await db.agent.findMany({ where: { user: { email } }, select: { status: true } });
  const counts: Record<string, number> = {};
  for (const { status } of agents) counts[status] = (counts[status] ?? 0) + 1;
  return counts;
}

async function seed(deps: DemoDeps): Promise<Demo> {
  const { token } = await createUser(deps.db, { email: DEMO_EMAIL, stripeCustomerId: DEMO_CUSTOMER });
  deps.say(`seeding the demo: user ${DEMO_EMAIL} (Stripe customer ${DEMO_CUSTOMER}) and ${DEMO_AGENTS.length} agents, provisioned in the simulator`);
  for (const name of DEMO_AGENTS) {
    const answer = await api(deps, token, 'POST', '/api/agents', { name });
    if (answer.status !== 202) throw new Error(`POST /api/agents answered ${answer.status}: ${JSON.stringify(answer.json)}`);
  }
  const notes: string[] = [];
  const deadline = Date.now() + PROVISIONING_TIMEOUT_MS;
  for (;;) {
    const counts = await statusCounts(deps.db, DEMO_EMAIL);
    if ((counts.provisioning ?? 0) === 0) {
      if ((counts.active ?? 0) < DEMO_AGENTS.length) notes.push(`not every demo agent was provisioned: ${JSON.stringify(counts)}; see \`npm run agentctl -- operation list\``);
      return { token, agents: counts, seeded: true, notes };
    }
    if (deps.abandoned()) return { token, agents: counts, seeded: true, notes };
    if (Date.now() > deadline) {
      notes.push(`demo agents still provisioning after ${PROVISIONING_TIMEOUT_MS / 1000} s: ${JSON.stringify(counts)}`);
      return { token, agents: counts, seeded: true, notes };
    }
    await sleep(500);
  }
}

export async function prepareDemo(deps: DemoDeps): Promise<Demo> {
  if ((await deps.db.user.count()) === 0) return seed(deps);
  const demoUser = await deps.db.user.findUnique({ where: { email: DEMO_EMAIL } });
  const token = demoUser ? (await issueTokenByEmail(deps.db, DEMO_EMAIL)).token : null;
  const notes: string[] = [];
  if (!demoUser) notes.push('the database has users but no demo user: create one with `npm run agentctl -- user create --email you@example.com --stripe-customer cus_you`');
  const withServers = await deps.db.agent.count({ where: { status: { notIn: ['destroyed', 'failed'] }, instance: { serverId: { not: null } } } });
  if (withServers > 0) {
    notes.push(`the simulator starts empty, so the ${withServers} live agent(s) of an earlier run have no server there; \`npm start -- --fresh\` starts the sandbox over`);
  }
  return { token, agents: demoUser ? await statusCounts(deps.db, DEMO_EMAIL) : {}, seeded: false, notes };
}
