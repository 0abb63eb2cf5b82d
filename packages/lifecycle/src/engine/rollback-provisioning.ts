// `provisioning.rollback`: a provisioning run failed (or never called back), so whatever it
// left behind is deleted: every server labelled with its job (or agent) and every device with
// the agent's hostname, then the agent is failed, unless a destroy claimed it meanwhile.
import { MANAGED_BY, deleteServers, hostnameOf, removeDevices } from './destroy-agent';
import type { Run } from './run';

export async function rollbackProvisioning(run: Run): Promise<string> {
  const { agent, provisioningJob } = run.operation;
  const { cloud, tailnet } = run.deps;
  const labels = provisioningJob ? { ...MANAGED_BY, 'agent-id': agent.id, 'job-id': provisioningJob.id } : { ...MANAGED_BY, 'agent-id': agent.id };
  await deleteServers(run, (await cloud.findServers(labels)).map((server) => server.id));
  await removeDevices(run, (await tailnet.findDevicesByHostname(hostnameOf(agent.id))).map((device) => device.id));
  const claimed = agent.status === 'destroying' || agent.status === 'destroyed';
  return run.finish({
    status: 'succeeded',
    agent: claimed ? undefined : { status: 'failed' },
    instance: agent.instance ? { status: 'deleted' } : undefined,
    provisioningJob: { status: 'rolled_back' },
  });
}
