// Ingress entry point (`npm run ingress`): reads the configuration, serves the HTTP API,
// and shuts down gracefully on SIGTERM/SIGINT.
import { loadConfigOrExit } from '@agent-lifecycle/config';
import { createLogger } from '@agent-lifecycle/logger';
import { startIngress } from './server';

async function main(): Promise<void> {
  const config = loadConfigOrExit();
  const logger = createLogger('ingress', { level: config.logLevel });
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
