// Small network checks for start-up: is a port free, is an address this machine's own,
// and waiting for an HTTP endpoint to answer.
import { createServer } from 'node:net';

export const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

const LOCAL_HOSTS = new Set(['127.0.0.1', 'localhost', '::1', '[::1]', '0.0.0.0']);

export function isLocalHost(hostname: string): boolean {
  return LOCAL_HOSTS.has(hostname);
}

/** Whether nothing listens on the port (on 127.0.0.1 and on every interface). */
export async function portFree(port: number): Promise<boolean> {
  const tryListen = (host: string | undefined) =>
    new Promise<boolean>((resolve) => {
      const server = createServer();
      server.once('error', () => resolve(false));
      server.listen({ port, host, exclusive: true }, () => server.close(() => resolve(true)));
    });
  return (await tryListen('127.0.0.1')) && (await tryListen(undefined));
}

/** Polls `url` until it answers 2xx; gives up at the deadline or when `abandon()` says so. */
export async function waitForHttp(url: string, timeoutMs: number, abandon: () => boolean = () => false): Promise<boolean> {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline && !abandon()) {
    try {
      const response = await fetch(url, { signal: AbortSignal.timeout(2_000) });
      await response.arrayBuffer();
      if (response.ok) return true;
    } catch {
      // Not listening yet.
    }
    await sleep(200);
  }
  return false;
}
