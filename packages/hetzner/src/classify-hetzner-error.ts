// Turns whatever a Hetzner call threw (an HTTP error answer, a network failure, a timeout)
// into the shared error classes, so callers decide "retry, wait or give up" from the class.
import { isAxiosError } from 'axios';
import { isLifecycleError, PermanentError, RateLimitedError, RetryableError, type LifecycleError } from '@agent-lifecycle/errors';

/** Hetzner error codes that describe a passing condition: the same call may succeed later. */
const RETRYABLE_CODES = new Set([
  'conflict',
  'locked',
  'rate_limit_exceeded',
  'service_error',
  'server_error',
  'timeout',
  'unavailable',
  'maintenance',
  'resource_unavailable',
]);

/** Whether a Hetzner error code (of an answer or of a failed action) describes a passing condition. */
export function isRetryableCode(code: string): boolean {
  return RETRYABLE_CODES.has(code);
}

const TIMEOUT_CODES = new Set(['ECONNABORTED', 'ETIMEDOUT']);
/** axios codes that mean our request itself is wrong: sending it again cannot help. */
const CLIENT_BUG_CODES = new Set(['ERR_BAD_OPTION', 'ERR_BAD_OPTION_VALUE', 'ERR_INVALID_URL', 'ERR_NOT_SUPPORT', 'ERR_DEPRECATED']);

type Headers = Record<string, unknown>;

function header(headers: Headers, name: string): string | undefined {
  const value = headers[name];
  if (typeof value === 'string') return value;
  if (typeof value === 'number') return String(value);
  return undefined;
}

function integerHeader(headers: Headers, name: string): number | undefined {
  const raw = header(headers, name);
  if (raw === undefined || !/^\d+$/.test(raw.trim())) return undefined;
  return Number(raw);
}

/**
 * When the next request will be accepted after a 429. `RateLimit-Reset` is the UNIX time
 * (seconds) at which the bucket is *full* again; Hetzner refills it evenly, so with
 * `RateLimit-Limit` and `RateLimit-Remaining` known the next single request is due after
 * one refill step. Waiting for the full reset would idle every worker for up to an hour.
 */
function nextRequestAt(headers: Headers, now: Date): Date {
  const nowMs = now.getTime();
  const reset = integerHeader(headers, 'ratelimit-reset');
  if (reset !== undefined) {
    const untilFullMs = reset * 1000 - nowMs;
    const limit = integerHeader(headers, 'ratelimit-limit');
    const remaining = integerHeader(headers, 'ratelimit-remaining');
    if (untilFullMs <= 0) return now;
    if (limit !== undefined && remaining !== undefined && limit > remaining) {
      return new Date(nowMs + Math.ceil(untilFullMs / (limit - remaining)));
    }
    return new Date(reset * 1000);
  }
  const retryAfter = integerHeader(headers, 'retry-after');
  if (retryAfter !== undefined) return new Date(nowMs + retryAfter * 1000);
  return new Date(nowMs + 1000);
}

function apiError(data: unknown): { code?: string; message?: string } {
  if (typeof data !== 'object' || data === null) return {};
  const error = (data as { error?: unknown }).error;
  if (typeof error !== 'object' || error === null) return {};
  const { code, message } = error as { code?: unknown; message?: unknown };
  return { code: typeof code === 'string' ? code : undefined, message: typeof message === 'string' ? message : undefined };
}

/**
 * The error to throw for a failed Hetzner call. `call` names it for the message
 * (e.g. "shutdown of server 42"); the message never carries the request's headers.
 */
export function classifyHetznerError(error: unknown, call: string, now: Date = new Date()): LifecycleError {
  if (isLifecycleError(error)) return error;
  const failed = `Hetzner ${call} failed`;

  if (!isAxiosError(error)) {
    // Not an HTTP failure (a bug of ours, say): a retry would fail the same way.
    const reason = error instanceof Error ? error.message : String(error);
    return new PermanentError('unexpected_response', `${failed}: unexpected_response (${reason})`);
  }

  const response = error.response;
  if (!response) {
    const code = error.code ?? '';
    if (TIMEOUT_CODES.has(code)) return new RetryableError('timeout', `${failed}: timeout (${error.message})`);
    if (CLIENT_BUG_CODES.has(code)) return new PermanentError('client_error', `${failed}: client_error (${error.message})`);
    // Refused, reset, hung up, unresolvable: the request may or may not have reached Hetzner.
    // Repeating it is harmless: a second power action meets 423 locked, a second delete 404.
    return new RetryableError('network_error', `${failed}: network_error (${code || 'no answer'}: ${error.message})`);
  }

  const status = response.status;
  const body = apiError(response.data);
  const code = body.code ?? `http_${status}`;
  const detail = body.message ?? (typeof response.statusText === 'string' && response.statusText !== '' ? response.statusText : `HTTP ${status}`);
  const headers = (response.headers ?? {}) as Headers;

  if (status === 429 || code === 'rate_limit_exceeded') {
    const resetAt = nextRequestAt(headers, now);
    const fullAt = integerHeader(headers, 'ratelimit-reset');
    const full = fullAt === undefined ? '' : `, bucket full at ${new Date(fullAt * 1000).toISOString()}`;
    return new RateLimitedError(`${failed}: rate_limit_exceeded (${detail}; next request at ${resetAt.toISOString()}${full})`, resetAt, now);
  }
  const message = `${failed}: ${code} (${detail})`;
  if (RETRYABLE_CODES.has(code) || status >= 500) return new RetryableError(code, message);
  return new PermanentError(code, message);
}
