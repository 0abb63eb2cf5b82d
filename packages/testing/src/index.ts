// Test harness: a database per test file, a queue prefix per run on the real Redis,
// and a sandbox configuration pointing at both. Used only by tests.
export { createTestDatabase } from './test-database';
export type { TestDatabase } from './test-database';
export { testQueuePrefix, testConfig } from './test-config';
export { runId, testRedisUrl, adminDatabaseUrl } from './run-environment';
export {
  TEST_CALLBACK_SECRET,
  SIM_HETZNER_TOKEN,
  SIM_TAILSCALE_KEY,
  addSimHetznerProject,
  simProductionEnv,
  startTestSim,
  simControl,
  simRequestCounts,
  callsBetween,
  addSimFaults,
  clearSimFaults,
  createSimServer,
  addSimDevice,
  eventually,
} from './sim';
export type { RequestCounts } from './sim';
export { rejectionOf, runProcess } from './helpers';
export type { ProcessResult } from './helpers';
export { hetznerContract, hetznerAnswer, removedHetznerFields, shapeDifferences } from './hetzner-contract';
export type { HetznerContractAnswer } from './hetzner-contract';
