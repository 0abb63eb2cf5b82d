// Delivers signed provisioning callbacks like a workflow step would: POST with the §4
// headers, re-signed on each attempt and retried (same delivery id) when the receiver fails.
import { randomUUID } from 'node:crypto';
import { request as httpRequest } from 'node:http';
import { request as httpsRequest } from 'node:https';
import type { ProvisioningCallback } from '@agent-lifecycle/contracts';
import { ClockHalted, type Clock } from '../clock';
import type { SimLogger } from '../logger';
import { signCallback } from './callback-signing';

/** The callback body, as the ingress validates it (one schema in @agent-lifecycle/contracts). */
export type CallbackPayload = ProvisioningCallback;

export interface CallbackRecord {
  deliveryId: string;
  status: CallbackPayload['status'];
  attempts: number;
  delivered: boolean;
  /** HTTP status of the last attempt, when the receiver answered. */
  lastStatus: number | null;
  lastError: string | null;
}

const maxAttempts = 4;
const attemptTimeoutMs = 10_000;
/** Simulated pause before the n-th retry. */
const retryDelaysMs = [1_000, 2_000, 4_000];

export class CallbackSender {
  private readonly inFlight = new Set<() => void>();
  /** Bumped by abortAll: a delivery from an older epoch stops instead of retrying. */
  private epoch = 0;

  constructor(
    private readonly secret: string,
    private readonly clock: Clock,
    private readonly logger: SimLogger,
  ) {}

  /**
   * Sends one callback, retrying network errors and 5xx answers; `record` reflects progress
   * as it goes. Resolves once delivered or given up; rejects only with ClockHalted on reset.
   */
  async send(url: string, payload: CallbackPayload, record: CallbackRecord = newCallbackRecord(payload.status)): Promise<CallbackRecord> {
    const body = JSON.stringify(payload);
    const epoch = this.epoch;
    const stopIfAborted = (): void => {
      if (this.epoch !== epoch) throw new ClockHalted();
    };
    for (let attempt = 1; attempt <= maxAttempts; attempt += 1) {
      record.attempts = attempt;
      const timestamp = Math.floor(this.clock.now().getTime() / 1000);
      const outcome = await this.post(url, body, {
        'content-type': 'application/json',
        'user-agent': 'agent-lifecycle-cloud-sim (GitHub Actions workflow)',
        'x-hub-signature-256': signCallback(this.secret, timestamp, body),
        'x-callback-timestamp': String(timestamp),
        'x-delivery-id': record.deliveryId,
      });
      stopIfAborted();
      record.lastStatus = outcome.status ?? null;
      record.lastError = outcome.error ?? null;
      if (outcome.status !== undefined && outcome.status < 300) {
        record.delivered = true;
        this.logger.debug({ jobId: payload.job_id, status: payload.status, deliveryId: record.deliveryId, attempt }, 'callback delivered');
        return record;
      }
      const retryable = outcome.status === undefined || outcome.status >= 500 || outcome.status === 429;
      const details = { jobId: payload.job_id, status: payload.status, deliveryId: record.deliveryId, attempt, httpStatus: outcome.status, error: outcome.error, url };
      if (!retryable || attempt === maxAttempts) {
        this.logger.error(details, 'callback delivery failed; giving up');
        return record;
      }
      this.logger.warn(details, 'callback delivery failed; retrying');
      await this.clock.sleep(retryDelaysMs[attempt - 1] ?? 4_000);
      stopIfAborted();
    }
    return record;
  }

  /** Cuts every callback in flight (reset or close). */
  abortAll(): void {
    this.epoch += 1;
    for (const abort of [...this.inFlight]) abort();
    this.inFlight.clear();
  }

  private post(url: string, body: string, headers: Record<string, string>): Promise<{ status?: number; error?: string }> {
    return new Promise((resolve) => {
      let target: URL;
      try {
        target = new URL(url);
      } catch {
        resolve({ error: `invalid callback_url ${url}` });
        return;
      }
      const request = (target.protocol === 'https:' ? httpsRequest : httpRequest)(
        target,
        // A fresh connection per attempt: nothing lingers in a pool after the simulator closes.
        { method: 'POST', headers: { ...headers, 'content-length': String(Buffer.byteLength(body)), connection: 'close' }, agent: false, timeout: attemptTimeoutMs },
        (response) => {
          response.resume();
          response.on('end', () => finish({ status: response.statusCode ?? 0 }));
          response.on('error', (error) => finish({ error: error.message }));
        },
      );
      const abort = (): void => {
        request.destroy(new Error('simulator stopped'));
      };
      const finish = (outcome: { status?: number; error?: string }): void => {
        this.inFlight.delete(abort);
        resolve(outcome);
      };
      this.inFlight.add(abort);
      request.on('timeout', () => request.destroy(new Error(`no answer within ${attemptTimeoutMs} ms`)));
      request.on('error', (error) => finish({ error: error.message }));
      request.end(body);
    });
  }
}

export function newCallbackRecord(status: CallbackPayload['status']): CallbackRecord {
  return { deliveryId: randomUUID(), status, attempts: 0, delivered: false, lastStatus: null, lastError: null };
}
