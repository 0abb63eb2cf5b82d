// The lifecycle's Workflows port on GitHub Actions: starting the provisioning workflow with
// a workflow_dispatch event that carries the job, the agent and where to call back.
import type { ProvisioningRequest, Workflows } from '@agent-lifecycle/lifecycle';
import { classifyGithubError } from './classify-github-error';

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
}

export function createGithubWorkflows({ apiUrl, token, repo, workflow, ref = 'main', timeoutMs = 15_000 }: GithubWorkflowsOptions): Workflows {
  const repoPath = repo
    .split('/')
    .map((part) => encodeURIComponent(part))
    .join('/');
  const url = `${apiUrl.replace(/\/+$/, '')}/repos/${repoPath}/actions/workflows/${encodeURIComponent(workflow)}/dispatches`;

  return {
    async dispatchProvisioning({ jobId, agentId, callbackUrl }: ProvisioningRequest) {
      const call = `dispatch of provisioning job ${jobId} (agent ${agentId})`;
      let response: Response;
      try {
        response = await fetch(url, {
          method: 'POST',
          headers: {
            authorization: `Bearer ${token}`,
            accept: 'application/vnd.github+json',
            'x-github-api-version': '2022-11-28',
            'content-type': 'application/json',
            'user-agent': 'agent-lifecycle',
          },
          body: JSON.stringify({ ref, inputs: { job_id: jobId, agent_id: agentId, callback_url: callbackUrl } }),
          signal: AbortSignal.timeout(timeoutMs),
        });
      } catch (thrown) {
        throw classifyGithubError(call, { thrown });
      }
      // The body may be cut short by the deadline; the status alone still classifies the failure.
      const body = await response.text().catch(() => '');
      if (!response.ok) throw classifyGithubError(call, { answer: { status: response.status, headers: response.headers, body } });
    },
  };
}
