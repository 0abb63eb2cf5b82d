// `agent.start` (a user, from paused) and `agent.resume` (billing, only what billing
// suspended): power the server on, sent without reading it first (one already running answers
// with an action that succeeds at once). Billing wins at execution: a customer whose latest
// subscription is delinquent or cancelled by now gets no running server.
import { latestSubscriptionStatus, type SubscriptionStatus } from '@agent-lifecycle/db';
import { serverIdOf, type Run } from './run';
import { completeAction, sendPowerAction } from './steps';

const BILLING_FORBIDS_RUNNING: SubscriptionStatus[] = ['past_due', 'unpaid', 'canceled'];

export async function startAgent(run: Run): Promise<string> {
  const { agent, kind } = run.operation;
  const allowed = kind === 'resume' ? agent.status === 'suspended' && agent.suspendedBy === 'billing' : agent.status === 'paused';
  if (!allowed) return run.finish({ status: 'skipped', reason: `agent is ${agent.status}${agent.suspendedBy ? ` (by ${agent.suspendedBy})` : ''}` });
  if (!run.steps.get('poweron')) {
    const billing = await latestSubscriptionStatus(run.deps.db, agent.userId);
    if (billing && BILLING_FORBIDS_RUNNING.includes(billing)) return run.finish({ status: 'skipped', reason: `billing is ${billing}: the agent stays off` });
  }
  const serverId = serverIdOf(run);
  if (serverId !== null) {
    const { cloud } = run.deps;
    const poweron = await sendPowerAction(run, { step: 'poweron', serverId, command: 'poweron', send: () => cloud.powerOn(serverId) });
    await completeAction(run, 'poweron', poweron, `waiting for Hetzner action ${poweron.id} (poweron) on server ${serverId}`);
  }
  return run.finish({ status: 'succeeded', agent: { status: 'active', suspendedBy: null }, instance: serverId !== null ? { status: 'running' } : undefined });
}
