// The Hetzner half of the preflight: one read-only request that proves the token belongs to
// a project here (and says how many servers it holds), before any job depends on it.
import { classifyHetznerError } from './classify-hetzner-error';
import { createHetznerHttp, type HetznerRequestObserver } from './hetzner-http';
import { readAnswer, serverCountAnswer } from './hetzner-schema';

/** One thing a preflight checked, and what it found. */
export interface AccessFinding {
  check: string;
  ok: boolean;
  detail: string;
}

export interface HetznerAccessOptions {
  token: string;
  endpoint: string;
  timeoutMs?: number;
  observe?: HetznerRequestObserver;
}

/**
 * `GET /servers?per_page=1`: the token is valid when Hetzner answers it. A read-only token
 * passes too (Hetzner says nothing about write access without a write); the first power
 * action would then fail with `token_readonly`.
 */
export async function checkHetznerAccess({ token, endpoint, timeoutMs = 10_000, observe }: HetznerAccessOptions): Promise<AccessFinding[]> {
  const http = createHetznerHttp({ token, endpoint, timeoutMs, observe });
  const call = 'list of servers';
  try {
    const body = await http.send({ method: 'GET', path: '/servers', query: new URLSearchParams({ per_page: '1' }) });
    const total = readAnswer(serverCountAnswer, body, call).meta?.pagination?.total_entries;
    return [{ check: 'token', ok: true, detail: `accepted; the project has ${total ?? 'some'} server${total === 1 ? '' : 's'}` }];
  } catch (error) {
    const failure = classifyHetznerError(error, call);
    const why = failure.code === 'unauthorized' ? 'refused: the token belongs to no project here' : failure.message;
    return [{ check: 'token', ok: false, detail: why }];
  }
}
