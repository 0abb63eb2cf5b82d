// Turns a failed GitHub API call into the shared error classes: 5xx, network failures and
// rate limits (429, or 403 with the quota spent) are retried, other 4xx answers are final.
import { PermanentError, RateLimitedError, RetryableError, type LifecycleError, describeNetworkFailure } from '@agent-lifecycle/errors';

/** What came back from GitHub when the status was not a success. */
export interface GithubAnswer {
  status: number;
  headers: Headers;
  /** The raw body; GitHub explains errors as `{"message": "...", "documentation_url": "..."}`. */
  body: string;
}

const CODES_BY_STATUS: Record<number, string> = {
  400: 'invalid_request',
  401: 'unauthorized',
  403: 'forbidden',
  404: 'not_found',
  422: 'validation_failed',
};

/** GitHub's advice when a rate-limited answer carries no header: wait at least a minute. */
const DEFAULT_RATE_LIMIT_WAIT_MS = 60_000;

function explanation(answer: GithubAnswer): string {
  try {
    const message = (JSON.parse(answer.body) as { message?: unknown } | null)?.message;
    if (typeof message === 'string' && message !== '') return message.split('\n')[0] ?? message;
  } catch {
    // Not JSON (a proxy's page, say): the status says enough.
  }
  return `HTTP ${answer.status}`;
}

/** Retry-After in seconds or as an HTTP date. */
function retryAfter(headers: Headers, now: Date): Date | undefined {
  const raw = headers.get('retry-after')?.trim();
  if (!raw) return undefined;
  if (/^\d+$/.test(raw)) return new Date(now.getTime() + Number(raw) * 1000);
  const date = Date.parse(raw);
  return Number.isNaN(date) ? undefined : new Date(Math.max(date, now.getTime()));
}

/** When a spent primary quota (x-ratelimit-remaining: 0) comes back: x-ratelimit-reset, UNIX seconds. */
function quotaReset(headers: Headers): Date | undefined {
  if (headers.get('x-ratelimit-remaining')?.trim() !== '0') return undefined;
  const reset = headers.get('x-ratelimit-reset')?.trim();
  return reset && /^\d+$/.test(reset) ? new Date(Number(reset) * 1000) : undefined;
}

/**
 * The error to throw for a GitHub call named `call` (e.g. "dispatch of provisioning job 7")
 * that got no answer at all (`thrown`: what fetch threw) or an error status (`answer`).
 */
export function classifyGithubError(call: string, failure: { answer: GithubAnswer } | { thrown: unknown }, now: Date = new Date()): LifecycleError {
  const failed = `GitHub ${call} failed`;
  if ('thrown' in failure) {
    const { code, reason } = describeNetworkFailure(failure.thrown);
    return new RetryableError(code, `${failed}: ${code} (${reason})`);
  }

  const { status, headers } = failure.answer;
  const detail = explanation(failure.answer);
  const after = retryAfter(headers, now);
  const reset = quotaReset(headers);
  // GitHub answers a spent quota or a secondary rate limit with 429 or with 403.
  if (status === 429 || (status === 403 && (after || reset))) {
    const resetAt = after ?? reset ?? new Date(now.getTime() + DEFAULT_RATE_LIMIT_WAIT_MS);
    return new RateLimitedError(`${failed}: rate_limit_exceeded (${detail}; next request at ${resetAt.toISOString()})`, resetAt, now);
  }

  const code = CODES_BY_STATUS[status] ?? (status >= 500 ? 'server_error' : `http_${status}`);
  const message = `${failed}: ${code} (${detail})`;
  if (status >= 500) return new RetryableError(code, message, after ? after.getTime() - now.getTime() : undefined);
  return new PermanentError(code, message);
}
