// A sandbox Config for tests: this run's queue prefix, the given database, and fixed
// secrets so tests can sign webhooks.
import { randomUUID } from 'node:crypto';
import { loadConfig, type Config } from '@agent-lifecycle/config';
import { queuePrefixOf, runId, testRedisUrl } from './run-environment';

/** A queue prefix of this run, unique to the caller so parallel files never share queues. */
export function testQueuePrefix(): string {
  // Random, not a counter: Jest gives every test file a fresh module registry in the same process.
  return `${queuePrefixOf(runId())}-${randomUUID().slice(0, 8)}`;
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
