// `agent.stop` (a user) and `agent.suspend` (billing): the server off, its data kept. An ACPI
// shutdown first, sent without reading the server (one already off answers with an action
// that succeeds at once); then the job steps aside until the watcher sees the server off, or
// the grace ends and a hard power-off follows.
import { PermanentError } from '@agent-lifecycle/errors';
import { serverIdOf, type Run } from './run';
import { completeAction, sendPowerAction } from './steps';
import { awaitServerStatus } from './waits';

async function stopServer(run: Run, serverId: number): Promise<void> {
  const { cloud, settings } = run.deps;
  const shutdown = await sendPowerAction(run, { step: 'shutdown', serverId, command: 'shutdown', send: () => cloud.shutdown(serverId) });
  if (!run.steps.isFinished('shutdown')) await run.steps.succeed('shutdown', `ACPI shutdown sent (action ${shutdown.id})`);

  if (!run.steps.isFinished('guest_off')) {
    const graceEnds = new Date(run.steps.get('shutdown')!.startedAt.getTime() + settings.stopGraceMs);
    const seconds = Math.round(settings.stopGraceMs / 1000);
    const outcome = await awaitServerStatus(run, 'guest_off', { serverId, status: 'off', until: graceEnds, progress: `waiting up to ${seconds} s for the guest to shut down (ACPI)` });
    if (outcome === 'gone') throw new PermanentError('server_not_found', `Hetzner server ${serverId} disappeared while shutting down.`);
    if (outcome === 'reached') await run.steps.succeed('guest_off', 'the guest shut down');
    else await run.steps.skip('guest_off', `the guest ignored the ACPI shutdown for ${seconds} s`);
  }
  if (run.steps.get('guest_off')?.status === 'succeeded') return;

  if (!run.steps.get('poweroff')) run.log.info({ serverId }, 'guest ignored the ACPI shutdown; powering off');
  const poweroff = await sendPowerAction(run, { step: 'poweroff', serverId, command: 'poweroff', send: () => cloud.powerOff(serverId) });
  await completeAction(run, 'poweroff', poweroff, `waiting for Hetzner action ${poweroff.id} (poweroff) on server ${serverId}`);
}

export async function stopAgent(run: Run): Promise<string> {
  const { agent, kind } = run.operation;
  // Billing may suspend again an agent whose server was powered on behind its back (see reconciler.ts).
  const allowed = agent.status === 'active' || (kind === 'suspend' && agent.status === 'suspended');
  if (!allowed) return run.finish({ status: 'skipped', reason: `agent is ${agent.status}, not active` });
  const serverId = serverIdOf(run);
  if (serverId !== null) await stopServer(run, serverId);
  return run.finish({
    status: 'succeeded',
    agent: kind === 'suspend' ? { status: 'suspended', suspendedBy: 'billing' } : { status: 'paused', suspendedBy: null },
    instance: serverId !== null ? { status: 'stopped' } : undefined,
  });
}
