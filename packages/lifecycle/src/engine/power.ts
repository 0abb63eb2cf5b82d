// Powering an agent's server off and on. Stop and suspend share the ACPI shutdown with a
// hard power-off after the grace; start and resume share the power-on. Each first reads the
// real state, so an agent already where it should be costs one call.
import { PermanentError } from '@agent-lifecycle/errors';
import { awaitServerStatus } from './polling';
import type { Run } from './run';
import { runActionStep } from './steps';

function serverGone(serverId: number): PermanentError {
  return new PermanentError('server_not_found', `Hetzner server ${serverId} no longer exists; the agent cannot change power state.`);
}

/** ACPI shutdown, wait up to the grace (counted from the first attempt), then poweroff. */
async function stopServer(run: Run, serverId: number): Promise<void> {
  const { cloud, clock, settings } = run.deps;
  const action = { cloud, clock, poll: settings, steps: run.steps, job: run.job };
  if (!run.steps.get('shutdown')) {
    const server = await cloud.getServer(serverId);
    if (!server) throw serverGone(serverId);
    if (server.status === 'off') {
      await run.steps.skip('shutdown', 'server already off');
      return;
    }
  }
  await runActionStep(action, 'shutdown', serverId, 'shutdown', () => cloud.shutdown(serverId), 20);
  const shutdownStarted = run.steps.get('shutdown')?.startedAt ?? clock.now();
  const graceEnds = new Date(shutdownStarted.getTime() + settings.stopGraceMs);
  if (!run.steps.get('poweroff')) {
    await run.job.report(40, `waiting up to ${Math.round(settings.stopGraceMs / 1000)} s for the guest to shut down (ACPI)`);
    const server = await awaitServerStatus(cloud, clock, settings, serverId, ['off'], graceEnds);
    if (!server) throw serverGone(serverId);
    if (server.status === 'off') return;
    run.log.info({ serverId }, 'guest ignored the ACPI shutdown; powering off');
  }
  await runActionStep(action, 'poweroff', serverId, 'poweroff', () => cloud.powerOff(serverId), 70);
}

async function startServer(run: Run, serverId: number): Promise<void> {
  const { cloud, clock, settings } = run.deps;
  if (!run.steps.get('poweron')) {
    const server = await cloud.getServer(serverId);
    if (!server) throw serverGone(serverId);
    if (server.status === 'running') {
      await run.steps.skip('poweron', 'server already running');
      return;
    }
  }
  await runActionStep({ cloud, clock, poll: settings, steps: run.steps, job: run.job }, 'poweron', serverId, 'poweron', () => cloud.powerOn(serverId), 30);
}

const serverIdOf = (run: Run): number | null => {
  const id = run.operation.agent.instance?.serverId;
  return id === null || id === undefined ? null : Number(id);
};

/** `stop` (user) and `suspend` (billing): server off, data kept. */
export async function powerOff(run: Run): Promise<string> {
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

/** `start` (user, from paused) and `resume` (billing, only what billing suspended). */
export async function powerOn(run: Run): Promise<string> {
  const { agent, kind } = run.operation;
  const allowed = kind === 'resume' ? agent.status === 'suspended' && agent.suspendedBy === 'billing' : agent.status === 'paused';
  if (!allowed) return run.finish({ status: 'skipped', reason: `agent is ${agent.status}${agent.suspendedBy ? ` (by ${agent.suspendedBy})` : ''}` });
  const serverId = serverIdOf(run);
  if (serverId !== null) await startServer(run, serverId);
  return run.finish({ status: 'succeeded', agent: { status: 'active', suspendedBy: null }, instance: serverId !== null ? { status: 'running' } : undefined });
}
