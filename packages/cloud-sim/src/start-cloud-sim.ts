// Starts the simulator on a port (0 = any free one) and stops it cleanly: timers halted,
// callbacks aborted, keep-alive and hung connections closed, so a test process can exit.
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { createApp } from './create-app';
import type { SimCredentials, SimCredentialsPatch } from './credentials';
import { silentLogger, type SimLogger } from './logger';
import type { SimConfig, SimConfigPatch } from './sim-config';
import { Simulator, type SimStateSnapshot } from './simulator';

export interface CloudSimOptions {
  /** TCP port; 0 (the default) picks a free one. */
  port?: number;
  /** Interface to listen on; 127.0.0.1 by default. */
  host?: string;
  /** Key of the HMAC that signs provisioning callbacks (GITHUB_CALLBACK_SECRET on the receiving side). */
  callbackSecret: string;
  logger?: SimLogger;
  /** Behaviour at start, as `PUT /_sim/config` would set it. */
  config?: SimConfigPatch;
  /** Who may call the clouds; the built-in sandbox credentials (the service's defaults) when absent. */
  credentials?: SimCredentials;
  /** Source of randomness; Math.random by default. */
  random?: () => number;
}

export interface CloudSim {
  /** Base URL, e.g. http://127.0.0.1:4010 (Hetzner at `${url}/v1`, Tailscale at `${url}/api/v2`). */
  url: string;
  port: number;
  /** Same as `PUT /_sim/config`. */
  configure(patch: SimConfigPatch): SimConfig;
  /** Same as `PUT /_sim/credentials`. */
  setCredentials(patch: SimCredentialsPatch): SimCredentials;
  /** Same as `GET /_sim/credentials`. */
  credentials(): SimCredentials;
  /** Same as `POST /_sim/reset`. */
  reset(): void;
  /** Same as `GET /_sim/state`. */
  state(): SimStateSnapshot;
  close(): Promise<void>;
}

export async function startCloudSim(options: CloudSimOptions): Promise<CloudSim> {
  if (!options.callbackSecret) throw new Error('startCloudSim needs a callbackSecret to sign provisioning callbacks');
  const logger = options.logger ?? silentLogger;
  const host = options.host ?? '127.0.0.1';
  const sim = new Simulator({ callbackSecret: options.callbackSecret, logger, config: options.config, credentials: options.credentials, random: options.random });
  const server = createServer(createApp(sim));

  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(options.port ?? 0, host, () => {
      server.off('error', reject);
      resolve();
    });
  });
  const { port } = server.address() as AddressInfo;
  const url = `http://${host.includes(':') ? `[${host}]` : host}:${port}`;
  logger.info({ url }, 'cloud simulator listening');

  let closing: Promise<void> | undefined;
  return {
    url,
    port,
    configure: (patch) => sim.configure(patch),
    setCredentials: (patch) => sim.setCredentials(patch),
    credentials: () => sim.credentials.all,
    reset: () => sim.reset(),
    state: () => sim.snapshot(),
    close: () => {
      closing ??= new Promise<void>((resolve, reject) => {
        sim.halt();
        server.close((error) => (error ? reject(error) : resolve()));
        server.closeAllConnections();
      }).then(() => logger.info({ url }, 'cloud simulator stopped'));
      return closing;
    },
  };
}
