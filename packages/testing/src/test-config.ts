// A sandbox Config for tests: this run's queue prefix, the given database, and fixed
// secrets so tests can sign webhooks.
import { loadConfig, type Config } from '@agent-lifecycle/config';
import { queuePrefixOf, runId, testRedisUrl } from './run-environment';

let counter = 0;

/** A queue prefix of this run, unique to the caller so parallel files never share queues. */
export function testQueuePrefix(): string {
  counter += 1;
  return `${queuePrefixOf(runId())}-${process.pid}-${counter}`;
}

export function testConfig(overrides: Record<string, string> = {}): Config {
  return loadConfig({
    REDIS_URL: testRedisUrl,
    QUEUE_PREFIX: testQueuePrefix(),
    STRIPE_WEBHOOK_SECRET: 'whsec_test_secret',
    GITHUB_CALLBACK_SECRET: 'test-callback-secret',
    BULL_BOARD_USER: 'operator',
    BULL_BOARD_PASSWORD: 'test-password',
    LOG_LEVEL: 'silent',
    ...overrides,
  });
}
