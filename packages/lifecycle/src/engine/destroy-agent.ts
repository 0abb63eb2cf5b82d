// `agent.destroy` (a user, or a cancelled subscription: a stopped server still bills), in one
// job: delete the servers, then remove the Tailscale devices, then finish, each deletion a
// recorded step. Anything already gone counts as deleted. Hetzner removes a server the moment
// it answers the delete, so nothing is awaited. The stored server and device are used as they
// are; only an agent made by the workflow without a stored one is looked up by label and
// hostname. Strays beyond that are the reconciler's.
import type { Run } from './run';
import { sendAction } from './steps';

export const MANAGED_BY = { 'managed-by': 'agent-lifecycle' } as const;
export const hostnameOf = (agentId: string) => `agent-${agentId}`;

/** Agents made by our workflow may have servers and devices the database never heard of. */
export const wasProvisioned = (run: Run) => run.operation.agent._count.provisioningJobs > 0;

/** Deletes each server as a step (`delete_server_<id>`). */
export async function deleteServers(run: Run, serverIds: number[]): Promise<void> {
  const { cloud } = run.deps;
  for (const serverId of serverIds) {
    const step = `delete_server_${serverId}`;
    const deleted = await sendAction(run, { step, serverId, command: 'delete_server', send: () => cloud.deleteServer(serverId) });
    if (deleted && !run.steps.isFinished(step)) await run.steps.succeed(step, `server deleted (action ${deleted.id})`);
  }
}

/** Removes each Tailscale device as a step (`remove_device_<id>`). */
export async function removeDevices(run: Run, deviceIds: string[]): Promise<void> {
  for (const deviceId of deviceIds) {
    const step = `remove_device_${deviceId}`;
    if (run.steps.isFinished(step)) continue;
    await run.steps.begin(step);
    const outcome = await run.deps.tailnet.removeDevice(deviceId);
    await run.steps.succeed(step, outcome === 'removed' ? 'device removed' : 'device already gone');
  }
}

async function serversOf(run: Run): Promise<number[]> {
  const { agent } = run.operation;
  if (agent.instance?.serverId != null) return [Number(agent.instance.serverId)];
  if (!wasProvisioned(run)) return [];
  return (await run.deps.cloud.findServers({ ...MANAGED_BY, 'agent-id': agent.id })).map((server) => server.id);
}

async function devicesOf(run: Run): Promise<string[]> {
  const { agent } = run.operation;
  if (agent.instance?.tailscaleDeviceId) return [agent.instance.tailscaleDeviceId];
  if (!wasProvisioned(run)) return [];
  return (await run.deps.tailnet.findDevicesByHostname(hostnameOf(agent.id))).map((device) => device.id);
}

export async function destroyAgent(run: Run): Promise<string> {
  if (run.operation.agent.status === 'destroyed') return run.finish({ status: 'skipped', reason: 'agent already destroyed' });
  await deleteServers(run, await serversOf(run));
  await run.job.report(50, `servers deleted; ${run.steps.describe()}`);
  await removeDevices(run, await devicesOf(run));
  return run.finish({ status: 'succeeded', agent: { status: 'destroyed', suspendedBy: null }, instance: { status: 'deleted' } });
}
