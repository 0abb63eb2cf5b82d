// One Tailscale API request over fetch, with a deadline: a success comes back as the
// Response, anything else as an @agent-lifecycle/errors class naming the call; each request
// sent is reported to an optional observer.
import { classifyTailscaleError } from './classify-tailscale-error';

/** One request sent to Tailscale, as metrics see it. */
export interface TailscaleObservedRequest {
  cloud: 'tailscale';
  /** The endpoint template, e.g. `DELETE /device/{id}`. */
  endpoint: string;
  status: number | 'network_error';
  durationMs: number;
}

export type TailscaleRequestObserver = (request: TailscaleObservedRequest) => void;

export interface TailscaleRequest {
  /** Names the call in error messages, e.g. "removal of device 123". */
  call: string;
  /** The endpoint template for the observer, e.g. `DELETE /device/{id}`. */
  endpoint: string;
  url: string;
  method?: string;
  headers?: Record<string, string>;
  body?: string | URLSearchParams;
  timeoutMs: number;
  /** Statuses the caller handles itself (e.g. 404 on a delete) instead of an error. */
  accept?: number[];
  now: () => Date;
  observe?: TailscaleRequestObserver;
}

export async function sendTailscaleRequest({ call, endpoint, url, method = 'GET', headers, body, timeoutMs, accept = [], now, observe }: TailscaleRequest): Promise<Response> {
  let response: Response;
  const started = performance.now();
  const report = (status: number | 'network_error') => observe?.({ cloud: 'tailscale', endpoint, status, durationMs: performance.now() - started });
  try {
    response = await fetch(url, { method, headers: { accept: 'application/json', ...headers }, body, signal: AbortSignal.timeout(timeoutMs) });
  } catch (thrown) {
    report('network_error');
    throw classifyTailscaleError(call, { thrown }, now());
  }
  report(response.status);
  if (response.ok || accept.includes(response.status)) return response;
  // The body may be cut short by the deadline; the status alone still classifies the failure.
  const text = await response.text().catch(() => '');
  throw classifyTailscaleError(call, { answer: { status: response.status, headers: response.headers, body: text } }, now());
}
