// `agent.provision`: dispatch the GitHub Actions workflow that creates the agent's server
// and device. The operation then waits for the workflow's callback (see
// requests/provisioning-callback.ts); the sweeper times out runs that never call back.
import { markProvisioningJobDispatched } from '@agent-lifecycle/db';
import type { Run } from './run';

export async function dispatchProvisioning(run: Run): Promise<string> {
  const { agent, provisioningJob } = run.operation;
  if (!provisioningJob) return run.finish({ status: 'skipped', reason: 'no provisioning job' });
  if (agent.status !== 'provisioning') return run.finish({ status: 'skipped', reason: `agent is ${agent.status}`, provisioningJob: { status: 'failed' } });
  if (!run.steps.isFinished('dispatch')) {
    await run.steps.begin('dispatch');
    await run.deps.workflows.dispatchProvisioning({ jobId: provisioningJob.id, agentId: agent.id, callbackUrl: run.deps.settings.callbackUrl });
    await run.steps.succeed('dispatch', 'workflow dispatched');
    await markProvisioningJobDispatched(run.deps.db, provisioningJob.id);
  }
  await run.job.report(50, 'workflow dispatched; waiting for its callback');
  return 'dispatched; waiting for the workflow callback';
}
