// One Tailscale API request over fetch, with a deadline: a success comes back as the
// Response, anything else as an @agent-lifecycle/errors class naming the call.
import { classifyTailscaleError } from './classify-tailscale-error';

export interface TailscaleRequest {
  /** Names the call in error messages, e.g. "removal of device 123". */
  call: string;
  url: string;
  method?: string;
  headers?: Record<string, string>;
  body?: string | URLSearchParams;
  timeoutMs: number;
  /** Statuses the caller handles itself (e.g. 404 on a delete) instead of an error. */
  accept?: number[];
  now: () => Date;
}

export async function sendTailscaleRequest({ call, url, method = 'GET', headers, body, timeoutMs, accept = [], now }: TailscaleRequest): Promise<Response> {
  let response: Response;
  try {
    response = await fetch(url, { method, headers: { accept: 'application/json', ...headers }, body, signal: AbortSignal.timeout(timeoutMs) });
  } catch (thrown) {
    throw classifyTailscaleError(call, { thrown }, now());
  }
  if (response.ok || accept.includes(response.status)) return response;
  // The body may be cut short by the deadline; the status alone still classifies the failure.
  const text = await response.text().catch(() => '');
  throw classifyTailscaleError(call, { answer: { status: response.status, headers: response.headers, body: text } }, now());
}
