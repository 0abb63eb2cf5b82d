// GitHub for the lifecycle: the Workflows port adapter that dispatches the provisioning
// workflow, with failures classified into @agent-lifecycle/errors.
export { createGithubWorkflows, DEFAULT_WORKFLOW_REF } from './github-workflows';
export type { GithubObservedRequest, GithubRequestObserver } from './github-http';
export type { GithubWorkflowsOptions } from './github-workflows';
export { classifyGithubError } from './classify-github-error';
export { checkGithubAccess } from './check-github-access';
export type { AccessFinding, GithubAccessOptions } from './check-github-access';
