// Deleting what an agent owns in the cloud: `destroy` (a user, or a cancelled subscription)
// and `rollback` (a failed provisioning run). The Hetzner job deletes servers, then hands
// over to the Tailscale job, which removes devices and finishes the operation. Anything
// already gone counts as deleted; leftovers are found by the workflow's labels and hostname.
import type { Run } from './run';
import { runActionStep } from './steps';

export const MANAGED_BY = { 'managed-by': 'agent-lifecycle' } as const;
export const hostnameOf = (agentId: string) => `agent-${agentId}`;

/** Agents made by our workflow may have servers and devices the database never heard of. */
const wasProvisioned = (run: Run) => run.operation.agent._count.provisioningJobs > 0;

async function serversToDelete(run: Run): Promise<number[]> {
  const { agent, kind, provisioningJob } = run.operation;
  const ids = new Set<number>();
  if (kind === 'destroy' && agent.instance?.serverId) ids.add(Number(agent.instance.serverId));
  if (wasProvisioned(run)) {
    const labels = kind === 'rollback' && provisioningJob ? { ...MANAGED_BY, 'agent-id': agent.id, 'job-id': provisioningJob.id } : { ...MANAGED_BY, 'agent-id': agent.id };
    for (const server of await run.deps.cloud.findServers(labels)) ids.add(server.id);
  }
  return [...ids];
}

async function devicesToRemove(run: Run): Promise<string[]> {
  const { agent, kind } = run.operation;
  const ids = new Set<string>();
  if (kind === 'destroy' && agent.instance?.tailscaleDeviceId) ids.add(agent.instance.tailscaleDeviceId);
  if (wasProvisioned(run)) {
    for (const device of await run.deps.tailnet.findDevicesByHostname(hostnameOf(agent.id))) ids.add(device.id);
  }
  return [...ids];
}

/** `agent.destroy` and `provisioning.rollback`: delete the servers, then hand over to `device.remove`. */
export async function deleteServers(run: Run): Promise<string> {
  const { agent, kind } = run.operation;
  if (kind === 'destroy' && agent.status === 'destroyed') return run.finish({ status: 'skipped', reason: 'agent already destroyed' });
  const { cloud, clock, settings, queue } = run.deps;
  const servers = await serversToDelete(run);
  for (const [index, serverId] of servers.entries()) {
    await runActionStep(
      { cloud, clock, poll: settings, steps: run.steps, job: run.job },
      `delete_server_${serverId}`,
      serverId,
      'delete_server',
      () => cloud.deleteServer(serverId),
      10 + Math.round((50 * index) / Math.max(servers.length, 1)),
    );
  }
  const needsTailnet = Boolean(agent.instance?.tailscaleDeviceId) || wasProvisioned(run);
  if (!needsTailnet) return finishTeardown(run);
  // requeue, not enqueue: after an operator's retry, a failed device job of this operation must run again.
  await queue.requeue('device.remove', run.operation.id);
  await run.job.report(60, `deleted ${servers.length} server(s); device removal handed to the tailscale queue`);
  return `deleted ${servers.length} server(s); handed over to device.remove`;
}

/** `device.remove`: remove the Tailscale devices, then finish the destroy or rollback. */
export async function removeDevices(run: Run): Promise<string> {
  const { tailnet } = run.deps;
  for (const deviceId of await devicesToRemove(run)) {
    const name = `remove_device_${deviceId}`;
    if (run.steps.isFinished(name)) continue;
    await run.steps.begin(name);
    const outcome = await tailnet.removeDevice(deviceId);
    await run.steps.succeed(name, outcome === 'removed' ? 'device removed' : 'device already gone');
  }
  return finishTeardown(run);
}

function finishTeardown(run: Run): Promise<string> {
  const { agent, kind } = run.operation;
  if (kind === 'destroy') return run.finish({ status: 'succeeded', agent: { status: 'destroyed', suspendedBy: null }, instance: { status: 'deleted' } });
  // A rollback leaves a failed agent, unless a destroy already claimed it.
  const claimed = agent.status === 'destroying' || agent.status === 'destroyed';
  return run.finish({
    status: 'succeeded',
    agent: claimed ? undefined : { status: 'failed' },
    instance: agent.instance ? { status: 'deleted' } : undefined,
    provisioningJob: { status: 'rolled_back' },
  });
}
