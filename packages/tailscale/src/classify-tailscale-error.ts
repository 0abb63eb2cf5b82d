// Turns a failed Tailscale API call (an error answer, a refused or broken connection, a
// timeout) into the shared error classes: retry 5xx/429/network, give up on the rest.
import { PermanentError, RateLimitedError, RetryableError, type LifecycleError, describeNetworkFailure } from '@agent-lifecycle/errors';

/** What came back from Tailscale when the status was not a success. */
export interface TailscaleAnswer {
  status: number;
  headers: Headers;
  /** The raw body; Tailscale explains errors as `{"message": "..."}`. */
  body: string;
}

const CODES_BY_STATUS: Record<number, string> = {
  400: 'invalid_request',
  401: 'unauthorized',
  403: 'forbidden',
  404: 'not_found',
  409: 'conflict',
};

function explanation(answer: TailscaleAnswer): string {
  try {
    const parsed: unknown = JSON.parse(answer.body);
    if (typeof parsed === 'object' && parsed !== null) {
      const { message, error, error_description: description } = parsed as Record<string, unknown>;
      for (const text of [message, description, error]) if (typeof text === 'string' && text !== '') return text;
    }
  } catch {
    // Not JSON (a proxy's HTML page, say): the status says enough.
  }
  return `HTTP ${answer.status}`;
}

/** When to try again after a 429: Retry-After (seconds or an HTTP date), else in a second. */
function retryAt(headers: Headers, now: Date): Date {
  const retryAfter = headers.get('retry-after')?.trim();
  if (retryAfter && /^\d+$/.test(retryAfter)) return new Date(now.getTime() + Number(retryAfter) * 1000);
  const date = retryAfter ? Date.parse(retryAfter) : Number.NaN;
  return Number.isNaN(date) ? new Date(now.getTime() + 1000) : new Date(Math.max(date, now.getTime()));
}

/**
 * The error to throw for a Tailscale call named `call` (e.g. "removal of device 123") that
 * got no answer at all (`thrown`: what fetch threw) or an error status (`answer`).
 */
export function classifyTailscaleError(call: string, failure: { answer: TailscaleAnswer } | { thrown: unknown }, now: Date = new Date()): LifecycleError {
  const failed = `Tailscale ${call} failed`;
  if ('thrown' in failure) {
    const { code, reason } = describeNetworkFailure(failure.thrown);
    return new RetryableError(code, `${failed}: ${code} (${reason})`);
  }
  const { answer } = failure;
  const detail = explanation(answer);
  if (answer.status === 429) {
    const resetAt = retryAt(answer.headers, now);
    return new RateLimitedError(`${failed}: rate_limit_exceeded (${detail}; next request at ${resetAt.toISOString()})`, resetAt, now);
  }
  const code = CODES_BY_STATUS[answer.status] ?? (answer.status >= 500 ? 'server_error' : `http_${answer.status}`);
  const message = `${failed}: ${code} (${detail})`;
  if (answer.status >= 500) return new RetryableError(code, message);
  return new PermanentError(code, message);
}
