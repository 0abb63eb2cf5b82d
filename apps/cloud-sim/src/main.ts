// `npm run sim`: the simulator as its own process, on SIM_PORT, signing callbacks with
// GITHUB_CALLBACK_SECRET and accepting the very credentials the service's configuration
// holds (the built-in sandbox ones when none are set); stops cleanly on SIGINT/SIGTERM.
import { loadConfigOrExit } from '@agent-lifecycle/config';
import { createLogger } from '@agent-lifecycle/logger';
import { simCredentialsFor, startCloudSim } from '@agent-lifecycle/cloud-sim';

async function main(): Promise<void> {
  const config = loadConfigOrExit();
  const logger = createLogger('cloud-sim');
  const sim = await startCloudSim({ port: config.simPort, host: '127.0.0.1', callbackSecret: config.github.callbackSecret, credentials: simCredentialsFor(config), logger });
  logger.info({ hetzner: `${sim.url}/v1`, tailscale: `${sim.url}/api/v2`, github: sim.url, control: `${sim.url}/_sim` }, 'cloud simulator ready');

  const stop = (signal: string): void => {
    logger.info({ signal }, 'stopping cloud simulator');
    sim.close().then(
      () => process.exit(0),
      (error: unknown) => {
        logger.error({ err: error }, 'cloud simulator did not stop cleanly');
        process.exit(1);
      },
    );
  };
  process.once('SIGINT', () => stop('SIGINT'));
  process.once('SIGTERM', () => stop('SIGTERM'));
}

main().catch((error: unknown) => {
  console.error(`cloud-sim: ${error instanceof Error ? error.message : String(error)}`);
  process.exit(1);
});
