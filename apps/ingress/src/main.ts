// Ingress entry point (`npm run ingress`): reads the configuration, serves the HTTP API,
// and shuts down gracefully on SIGTERM/SIGINT.
import { loadConfigOrExit } from '@agent-lifecycle/config';
import { createLogger } from '@agent-lifecycle/logger';
import pino from 'pino';
import { startIngress } from './server';

async function main(): Promise<void> {
  const config = loadConfigOrExit();
  // Not a terminal (a container, a pipe): lines are written without blocking, so under load a
  // request does not wait for the write of its access line (pino flushes them on exit).
  const destination = process.stdout.isTTY ? undefined : pino.destination({ sync: false });
  const logger = createLogger('ingress', { level: config.logLevel, destination });
  if (config.generatedSecrets.length > 0) {
    logger.warn({ generated: config.generatedSecrets }, 'sandbox: secrets were generated for this process only; set them to share them with other pieces');
  }
  const ingress = await startIngress({ config, logger, app: { processMetrics: true } });
  let stopping = false;
  const stop = (signal: string) => {
    if (stopping) return;
    stopping = true;
    logger.info({ signal }, 'shutting down');
    ingress.close().then(
      () => process.exit(0),
      (error: unknown) => {
        logger.error({ err: error }, 'shutdown failed');
        process.exit(1);
      },
    );
  };
  process.once('SIGTERM', () => stop('SIGTERM'));
  process.once('SIGINT', () => stop('SIGINT'));
}

main().catch((error: unknown) => {
  process.stderr.write(`ingress failed to start: ${error instanceof Error ? error.message : String(error)}\n`);
  process.exit(1);
});
