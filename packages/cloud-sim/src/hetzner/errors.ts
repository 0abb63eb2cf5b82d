// Hetzner's error answers: `{"error": {"code", "message", "details"}}` with the documented
// code for each status, raised as HetznerError anywhere and written in one place.
import type { Response } from 'express';

export interface InvalidField {
  name: string;
  messages: string[];
}

export class HetznerError extends Error {
  constructor(
    readonly status: number,
    readonly code: string,
    message: string,
    readonly details: Record<string, unknown> = {},
  ) {
    super(message);
    this.name = 'HetznerError';
  }

  static notFound(resource: string, id: string | number): HetznerError {
    return new HetznerError(404, 'not_found', `${resource} with ID '${id}' not found`);
  }

  /** `invalid_input` always carries `details.fields`: the official Go client fails to parse it otherwise. */
  static invalidInput(fields: InvalidField[], message?: string): HetznerError {
    const summary = message ?? `invalid input in field${fields.length > 1 ? 's' : ''} ${fields.map((f) => `'${f.name}'`).join(', ')}`;
    return new HetznerError(400, 'invalid_input', summary, { fields });
  }

  static locked(serverId: number, command: string): HetznerError {
    return new HetznerError(423, 'locked', `server ${serverId} is locked by a running ${command} action`);
  }
}

/** The code Hetzner documents for a status, used when a fault rule names only the status. */
export function defaultHetznerCode(status: number): string {
  const codes: Record<number, string> = {
    400: 'invalid_input',
    401: 'unauthorized',
    403: 'forbidden',
    404: 'not_found',
    409: 'conflict',
    410: 'deprecated_api_endpoint',
    412: 'resource_unavailable',
    423: 'locked',
    429: 'rate_limit_exceeded',
    500: 'server_error',
    503: 'unavailable',
    504: 'timeout',
  };
  return codes[status] ?? (status >= 500 ? 'server_error' : 'invalid_input');
}

export function sendHetznerError(res: Response, error: HetznerError): void {
  const details = error.code === 'invalid_input' && !('fields' in error.details) ? { fields: [] } : error.details;
  res.status(error.status).json({ error: { code: error.code, message: error.message, details } });
}
