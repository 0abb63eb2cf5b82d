// Worker entry point: `npm run worker -- --queues hetzner,tailscale` serves the named
// queues (all when omitted) until SIGTERM/SIGINT, then drains within a deadline.
import { loadConfigOrExit } from '@agent-lifecycle/config';
import { QUEUE_NAMES, type QueueName } from '@agent-lifecycle/jobs';
import { createLogger } from '@agent-lifecycle/logger';
import { preflightFailureLine, runPreflight } from '@agent-lifecycle/preflight';
import { startWorkers } from './workers';

const SHUTDOWN_DEADLINE_MS = 30_000;

function parseQueues(argv: string[]): QueueName[] {
  const index = argv.findIndex((arg) => arg === '--queues' || arg.startsWith('--queues='));
  if (index === -1) return [...QUEUE_NAMES];
  const arg = argv[index] ?? '';
  const value = arg.includes('=') ? arg.slice(arg.indexOf('=') + 1) : argv[index + 1];
  const names = (value ?? '').split(',').map((name) => name.trim()).filter(Boolean);
  const unknown = names.filter((name) => !(QUEUE_NAMES as readonly string[]).includes(name));
  if (names.length === 0 || unknown.length > 0) {
    process.stderr.write(`Unknown queue(s) ${unknown.join(', ') || '(none given)'}; choose from ${QUEUE_NAMES.join(', ')}\n`);
    process.exit(2);
  }
  return names as QueueName[];
}

async function main(): Promise<void> {
  const config = loadConfigOrExit();
  const logger = createLogger('worker', { level: config.logLevel });
  const queues = parseQueues(process.argv.slice(2));
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
