// A worker's small HTTP face on WORKER_METRICS_PORT: `/metrics` (Prometheus text), `/healthz`
// (the process answers) and `/readyz` (started, and Redis and PostgreSQL answer; 503 naming
// what is not), for Prometheus and for the orchestrator's healthcheck.
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { Registry } from 'prom-client';

export interface ReadinessCheck {
  name: string;
  check(): Promise<unknown>;
}

export interface HealthServer {
  port: number;
  close(): Promise<void>;
}

const CHECK_TIMEOUT_MS = 1_000;

async function passes({ check }: ReadinessCheck): Promise<boolean> {
  let timer: NodeJS.Timeout | undefined;
  try {
    await Promise.race([check(), new Promise((_resolve, reject) => (timer = setTimeout(() => reject(new Error('timed out')), CHECK_TIMEOUT_MS)))]);
    return true;
  } catch {
    return false;
  } finally {
    clearTimeout(timer);
  }
}

export async function startHealthServer(options: {
  port: number;
  host?: string;
  registry: Registry;
  /** False until the workers started (they wait for Redis and PostgreSQL first). */
  started: () => boolean;
  checks: ReadinessCheck[];
}): Promise<HealthServer> {
  const server: Server = createServer((req, res) => {
    const json = (status: number, body: unknown) => res.writeHead(status, { 'content-type': 'application/json' }).end(JSON.stringify(body));
    const path = (req.url ?? '/').split('?')[0];
    if (req.method !== 'GET' && req.method !== 'HEAD') return json(405, { error: { code: 'method_not_allowed', message: 'Only GET.' } });
    if (path === '/healthz') return json(200, { status: 'ok' });
    if (path === '/readyz') {
      void Promise.all(options.checks.map(async (check) => ((await passes(check)) ? null : check.name))).then((failing) => {
        const down = failing.filter((name): name is string => name !== null);
        if (!options.started()) down.push('workers (starting)');
        json(down.length === 0 ? 200 : 503, down.length === 0 ? { status: 'ready' } : { status: 'not_ready', down });
      });
      return;
    }
    if (path === '/metrics') {
      void options.registry.metrics().then(
        (text) => res.writeHead(200, { 'content-type': options.registry.contentType }).end(text),
        () => json(500, { error: { code: 'internal_error', message: 'Could not collect metrics.' } }),
      );
      return;
    }
    json(404, { error: { code: 'not_found', message: `No route ${path}.` } });
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(options.port, options.host ?? '0.0.0.0', () => {
      server.off('error', reject);
      resolve();
    });
  });
  return {
    port: (server.address() as AddressInfo).port,
    close: () => new Promise<void>((resolve) => server.close(() => resolve())),
  };
}
