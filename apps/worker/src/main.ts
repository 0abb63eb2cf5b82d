// Worker entry point: `npm run worker -- --queues hetzner,tailscale` serves the named
// queues (all when omitted) until SIGTERM/SIGINT, then drains within a deadline.
import { loadConfigOrExit } from '@agent-lifecycle/config';
import { createLogger } from '@agent-lifecycle/logger';
import { preflightFailureLine, runPreflight } from '@agent-lifecycle/preflight';
import { WORKER_USAGE, WorkerUsageError, parseWorkerArgs, type WorkerArgs } from './args';
import { startWorkers } from './workers';

const SHUTDOWN_DEADLINE_MS = 30_000;

/** The command line, or the help / one usage line and exit: before any configuration is read. */
function argsOrExit(): Extract<WorkerArgs, { help: false }> {
  try {
    const args = parseWorkerArgs(process.argv.slice(2));
    if (!args.help) return args;
    process.stdout.write(`${WORKER_USAGE}\n`);
    process.exit(0);
  } catch (error) {
    if (!(error instanceof WorkerUsageError)) throw error;
    process.stderr.write(`${error.message}\n`);
    process.exit(error.exitCode);
  }
}

async function main(): Promise<void> {
  const { queues } = argsOrExit();
  const config = loadConfigOrExit();
  const logger = createLogger('worker', { level: config.logLevel });
  // With real credentials, learn now, not at the first job, whether every cloud accepts them.
  if (config.mode === 'production') {
    const report = await runPreflight(config);
    if (!report.ok) {
      process.stderr.write(`${preflightFailureLine(report)}\n`);
      process.exit(1);
    }
    logger.info({ checks: report.checks.map((check) => `${check.cloud} ${check.check}`) }, 'preflight passed');
  }
  const worker = await startWorkers({ config, logger, queues });
  let stopping = false;
  const stop = (signal: string) => {
    if (stopping) return;
    stopping = true;
    logger.info({ signal }, 'draining workers');
    const deadline = setTimeout(() => {
      logger.error('workers did not drain in time; exiting (their jobs will be retried)');
      process.exit(1);
    }, SHUTDOWN_DEADLINE_MS);
    deadline.unref();
    worker.close().then(
      () => process.exit(0),
      (error) => {
        logger.error({ err: error }, 'error while closing workers');
        process.exit(1);
      },
    );
  };
  process.on('SIGTERM', () => stop('SIGTERM'));
  process.on('SIGINT', () => stop('SIGINT'));
}

void main();
