// The small set of errors every layer speaks. Each has a stable `code`; its class says
// what to do next: retry (maybe later), give up, or tell the caller the state forbids it.
// The ingress maps them to HTTP statuses in one place, the worker to BullMQ outcomes.

export abstract class LifecycleError extends Error {
  abstract readonly kind: 'permanent' | 'retryable' | 'conflict' | 'not_found' | 'invalid';
  constructor(
    readonly code: string,
    message: string,
    readonly details?: unknown,
  ) {
    super(message);
    this.name = new.target.name;
  }
}

/** Retrying cannot help (bad input, forbidden, protected): fail the operation now. */
export class PermanentError extends LifecycleError {
  readonly kind = 'permanent';
}

/** A passing fault (5xx, locked, network): try again, after `retryAfterMs` when given. */
export class RetryableError extends LifecycleError {
  readonly kind = 'retryable';
  constructor(
    code: string,
    message: string,
    readonly retryAfterMs?: number,
    details?: unknown,
  ) {
    super(code, message, details);
  }
}

/** The provider's rate limit is spent until `resetAt`: pause, do not burn an attempt. */
export class RateLimitedError extends RetryableError {
  constructor(
    message: string,
    readonly resetAt: Date,
    now: Date = new Date(),
  ) {
    super('rate_limit_exceeded', message, Math.max(0, resetAt.getTime() - now.getTime()));
  }
}

/** The current state does not allow the request (e.g. `agent_not_running`). */
export class ConflictError extends LifecycleError {
  readonly kind = 'conflict';
}

/** The thing does not exist, or is not the caller's to see. */
export class NotFoundError extends LifecycleError {
  readonly kind = 'not_found';
}

/** The request itself is malformed. */
export class InvalidInputError extends LifecycleError {
  readonly kind = 'invalid';
}

export function isLifecycleError(error: unknown): error is LifecycleError {
  return error instanceof LifecycleError;
}

/** A one-line description of any thrown value, for logs and operation rows. */
export function describeError(error: unknown): string {
  if (error instanceof Error) return error.message;
  return String(error);
}

/** A property of a thrown value; fetch's errors come from another realm, so no instanceof. */
function field(value: unknown, key: string): unknown {
  return typeof value === 'object' && value !== null ? (value as Record<string, unknown>)[key] : undefined;
}

/** What went wrong when a request got no answer at all (what `fetch` threw): a timeout or a network error. */
export function describeNetworkFailure(thrown: unknown): { code: 'timeout' | 'network_error'; reason: string } {
  const name = field(thrown, 'name');
  if (name === 'TimeoutError' || name === 'AbortError') return { code: 'timeout', reason: 'no answer in time' };
  // fetch reports "fetch failed" and keeps the socket's error (ECONNREFUSED, …) as the cause.
  const cause = field(thrown, 'cause');
  const detail = [field(cause, 'code'), field(cause, 'message')].filter((part) => typeof part === 'string' && part !== '').join(': ');
  const message = field(thrown, 'message');
  return { code: 'network_error', reason: detail || (typeof message === 'string' ? message : String(thrown)) };
}
