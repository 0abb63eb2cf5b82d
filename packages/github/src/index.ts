// GitHub for the lifecycle: the Workflows port adapter that dispatches the provisioning
// workflow, with failures classified into @agent-lifecycle/errors.
export { createGithubWorkflows } from './github-workflows';
export type { GithubWorkflowsOptions } from './github-workflows';
export { classifyGithubError } from './classify-github-error';
