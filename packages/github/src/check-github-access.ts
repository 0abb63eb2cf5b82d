// The GitHub half of the preflight, with read-only calls: the token is accepted and may
// write to the repository (dispatching needs it), the workflow exists and is active, and
// the branch it runs from exists.
import { isLifecycleError, type LifecycleError } from '@agent-lifecycle/errors';
import { DEFAULT_WORKFLOW_REF } from './github-workflows';
import { repoParams, sendGithubRequest, type GithubRequestObserver } from './github-http';

/** One thing a preflight checked, and what it found. */
export interface AccessFinding {
  check: string;
  ok: boolean;
  detail: string;
}

export interface GithubAccessOptions {
  apiUrl: string;
  token: string;
  repo: string;
  workflow: string;
  ref?: string;
  timeoutMs?: number;
  observe?: GithubRequestObserver;
}

const codeOf = (error: unknown): string | undefined => (isLifecycleError(error) ? (error as LifecycleError).code : undefined);
const reason = (error: unknown): string => (error instanceof Error ? error.message : String(error));

export async function checkGithubAccess({ apiUrl, token, repo, workflow, ref = DEFAULT_WORKFLOW_REF, timeoutMs = 10_000, observe }: GithubAccessOptions): Promise<AccessFinding[]> {
  const read = async (call: string, endpoint: string, params: Record<string, string>): Promise<Record<string, unknown>> => {
    const response = await sendGithubRequest({ call, endpoint, params: { ...repoParams(repo), ...params }, apiUrl, token, timeoutMs, observe });
    return ((await response.json().catch(() => ({}))) ?? {}) as Record<string, unknown>;
  };
  const findings: AccessFinding[] = [];

  try {
    const repository = await read(`read of repository ${repo}`, 'GET /repos/{owner}/{repo}', {});
    const permissions = repository.permissions as { push?: unknown } | undefined;
    if (permissions && permissions.push !== true) {
      return [{ check: 'token', ok: false, detail: `may not dispatch workflows: it has no write access to ${repo}` }];
    }
    findings.push({ check: 'token', ok: true, detail: permissions ? `accepted, with write access to ${repo}` : `accepted for ${repo}` });
  } catch (error) {
    const code = codeOf(error);
    const detail = code === 'unauthorized' ? 'refused (Bad credentials)' : code === 'not_found' ? `repository ${repo} not found, or not visible to this token` : reason(error);
    return [{ check: 'token', ok: false, detail }];
  }

  try {
    const found = await read(`read of workflow ${workflow}`, 'GET /repos/{owner}/{repo}/actions/workflows/{workflow}', { workflow });
    if (found.state !== undefined && found.state !== 'active') return [...findings, { check: 'workflow', ok: false, detail: `${workflow} exists but is ${String(found.state)}` }];
    findings.push({ check: 'workflow', ok: true, detail: `${workflow} exists in ${repo}` });
  } catch (error) {
    return [...findings, { check: 'workflow', ok: false, detail: codeOf(error) === 'not_found' ? `${workflow} not found in ${repo}` : reason(error) }];
  }

  try {
    await read(`read of branch ${ref}`, 'GET /repos/{owner}/{repo}/branches/{branch}', { branch: ref });
    findings.push({ check: 'ref', ok: true, detail: `branch ${ref} exists` });
  } catch (error) {
    findings.push({ check: 'ref', ok: false, detail: codeOf(error) === 'not_found' ? `branch ${ref} not found in ${repo}` : reason(error) });
  }
  return findings;
}
