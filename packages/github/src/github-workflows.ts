// The lifecycle's Workflows port on GitHub Actions: starting the provisioning workflow with
// a workflow_dispatch event that carries the job, the agent and where to call back.
import type { ProvisioningRequest, Workflows } from '@agent-lifecycle/lifecycle';
import { repoParams, sendGithubRequest, type GithubRequestObserver } from './github-http';

export interface GithubWorkflowsOptions {
  /** https://api.github.com, or the simulator's base URL. */
  apiUrl: string;
  /** A token allowed to run the workflow (actions: write). */
  token: string;
  /** owner/name of the repository holding the workflow. */
  repo: string;
  /** The workflow's file name (provision-agent.yml) or id. */
  workflow: string;
  /** Branch or tag whose version of the workflow runs; main by default. */
  ref?: string;
  /** Gives up on a request that has not answered within this time (default 15 s). */
  timeoutMs?: number;
  /** Told about every request sent (429s included), e.g. for metrics. */
  observe?: GithubRequestObserver;
}

/** The branch the provisioning workflow runs from unless configured otherwise. */
export const DEFAULT_WORKFLOW_REF = 'main';

export function createGithubWorkflows({ apiUrl, token, repo, workflow, ref = DEFAULT_WORKFLOW_REF, timeoutMs = 15_000, observe }: GithubWorkflowsOptions): Workflows {
  return {
    async dispatchProvisioning({ jobId, agentId, callbackUrl }: ProvisioningRequest) {
      const response = await sendGithubRequest({
        call: `dispatch of provisioning job ${jobId} (agent ${agentId})`,
        endpoint: 'POST /repos/{owner}/{repo}/actions/workflows/{workflow}/dispatches',
        params: { ...repoParams(repo), workflow },
        apiUrl,
        token,
        body: { ref, inputs: { job_id: jobId, agent_id: agentId, callback_url: callbackUrl } },
        timeoutMs,
        observe,
      });
      await response.body?.cancel();
    },
  };
}
