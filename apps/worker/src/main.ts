// Worker entry point: reads the configuration and serves the lifecycle queues.
import { loadConfigOrExit } from '@agent-lifecycle/config';
import { createLogger } from '@agent-lifecycle/logger';

const config = loadConfigOrExit();
const logger = createLogger('worker', { level: config.logLevel });
logger.info({ redis: config.redisUrl }, 'worker started (no queues yet)');
