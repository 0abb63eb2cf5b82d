// One GitHub REST request over fetch, with a deadline and GitHub's headers: a success comes
// back as the Response, anything else as an @agent-lifecycle/errors class naming the call;
// each request sent is reported to an optional observer.
import { classifyGithubError } from './classify-github-error';

/** One request sent to GitHub, as metrics see it. */
export interface GithubObservedRequest {
  cloud: 'github';
  /** The endpoint template, e.g. `POST /repos/{owner}/{repo}/actions/workflows/{workflow}/dispatches`. */
  endpoint: string;
  status: number | 'network_error';
  durationMs: number;
}

export type GithubRequestObserver = (request: GithubObservedRequest) => void;

export interface GithubRequest {
  /** Names the call in error messages, e.g. "dispatch of provisioning job 7". */
  call: string;
  /** `METHOD /template`; the template names the endpoint for the observer. */
  endpoint: string;
  /** Fills the template's `{name}` parts. */
  params: Record<string, string>;
  apiUrl: string;
  token: string;
  body?: unknown;
  timeoutMs: number;
  observe?: GithubRequestObserver;
}

export async function sendGithubRequest({ call, endpoint, params, apiUrl, token, body, timeoutMs, observe }: GithubRequest): Promise<Response> {
  const [method = 'GET', template = '/'] = endpoint.split(' ');
  const path = template.replace(/\{(\w+)\}/g, (_, name: string) => encodeURIComponent(params[name] ?? ''));
  const started = performance.now();
  const report = (status: number | 'network_error') => observe?.({ cloud: 'github', endpoint, status, durationMs: performance.now() - started });
  let response: Response;
  try {
    response = await fetch(`${apiUrl.replace(/\/+$/, '')}${path}`, {
      method,
      headers: {
        authorization: `Bearer ${token}`,
        accept: 'application/vnd.github+json',
        'x-github-api-version': '2022-11-28',
        'user-agent': 'agent-lifecycle',
        ...(body === undefined ? {} : { 'content-type': 'application/json' }),
      },
      body: body === undefined ? undefined : JSON.stringify(body),
      signal: AbortSignal.timeout(timeoutMs),
    });
  } catch (thrown) {
    report('network_error');
    throw classifyGithubError(call, { thrown });
  }
  report(response.status);
  if (response.ok) return response;
  // The body may be cut short by the deadline; the status alone still classifies the failure.
  const text = await response.text().catch(() => '');
  throw classifyGithubError(call, { answer: { status: response.status, headers: response.headers, body: text } });
}

/** `owner/name` as the `{owner}` and `{repo}` of GitHub's endpoint templates. */
export function repoParams(repo: string): { owner: string; repo: string } {
  const [owner = '', name = ''] = repo.split('/');
  return { owner, repo: name };
}
