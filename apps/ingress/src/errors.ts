// The one place where an error becomes an HTTP answer: lifecycle error kinds, the
// ingress's own transport errors and body-parser failures map to the contract's body
// `{"error": {"code", "message", "details"?}}`; anything else is a bare 500.
import { isLifecycleError, type LifecycleError } from '@agent-lifecycle/errors';

/** A refusal decided by the ingress itself (authentication, media type, rate limit...). */
export class HttpError extends Error {
  constructor(
    readonly status: number,
    readonly code: string,
    message: string,
    readonly details?: unknown,
    readonly headers: Record<string, string> = {},
  ) {
    super(message);
    this.name = 'HttpError';
  }
}

export interface ErrorBody {
  error: { code: string; message: string; details?: unknown };
}

export interface ErrorResponse {
  status: number;
  body: ErrorBody;
  headers: Record<string, string>;
  /** Whether the failure is ours (5xx) and deserves an error log with the cause. */
  internal: boolean;
}

const body = (code: string, message: string, details?: unknown): ErrorBody => ({
  error: details === undefined ? { code, message } : { code, message, details },
});

const INTERNAL: ErrorResponse = { status: 500, body: body('internal_error', 'Internal error'), headers: {}, internal: true };

/** body-parser's failures (Express 5 ships body-parser 2), by their `type`. */
const BODY_PARSER: Record<string, { status: number; code: string; message: string }> = {
  'entity.too.large': { status: 413, code: 'payload_too_large', message: 'The request body is too large.' },
  'entity.parse.failed': { status: 400, code: 'invalid_json', message: 'The request body is not valid JSON.' },
  'entity.verify.failed': { status: 400, code: 'invalid_body', message: 'The request body was refused.' },
  'encoding.unsupported': { status: 415, code: 'unsupported_media_type', message: 'The content encoding is not supported.' },
  'charset.unsupported': { status: 415, code: 'unsupported_media_type', message: 'The charset is not supported; send UTF-8.' },
  'request.aborted': { status: 400, code: 'request_aborted', message: 'The request was aborted.' },
  'request.size.invalid': { status: 400, code: 'invalid_body', message: 'The request body does not match its Content-Length.' },
  'parameters.too.many': { status: 413, code: 'payload_too_large', message: 'The request has too many parameters.' },
};

function fromLifecycle(error: LifecycleError): ErrorResponse {
  switch (error.kind) {
    case 'not_found':
      return { status: 404, body: body(error.code, error.message, error.details), headers: {}, internal: false };
    case 'conflict':
      // Reusing a key for another request is a client mistake about the request, not the state.
      return { status: error.code === 'idempotency_key_reused' ? 422 : 409, body: body(error.code, error.message, error.details), headers: {}, internal: false };
    case 'invalid':
      return { status: 400, body: body(error.code, error.message, error.details), headers: {}, internal: false };
    case 'retryable': {
      const retryAfterMs = (error as { retryAfterMs?: number }).retryAfterMs;
      const headers: Record<string, string> = retryAfterMs !== undefined ? { 'Retry-After': String(Math.max(1, Math.ceil(retryAfterMs / 1000))) } : {};
      return { status: 503, body: body('service_unavailable', 'Temporarily unavailable; try again shortly.'), headers, internal: true };
    }
    case 'permanent':
      return INTERNAL;
  }
}

function bodyParserType(error: unknown): string | undefined {
  if (typeof error !== 'object' || error === null) return undefined;
  const { type, expose } = error as { type?: unknown; expose?: unknown };
  return typeof type === 'string' && expose !== false ? type : undefined;
}

/** Maps any thrown value to the answer the client gets; never leaks an internal message. */
export function toErrorResponse(error: unknown): ErrorResponse {
  if (error instanceof HttpError) {
    return { status: error.status, body: body(error.code, error.message, error.details), headers: error.headers, internal: error.status >= 500 };
  }
  if (isLifecycleError(error)) return fromLifecycle(error);
  const type = bodyParserType(error);
  const known = type === undefined ? undefined : BODY_PARSER[type];
  if (known) return { status: known.status, body: body(known.code, known.message), headers: {}, internal: false };
  // The router refuses a path parameter that is not valid percent-encoding.
  if (error instanceof URIError && (error as { status?: unknown }).status === 400) {
    return { status: 400, body: body('invalid_path', 'The request path is not valid percent-encoding.'), headers: {}, internal: false };
  }
  return INTERNAL;
}
