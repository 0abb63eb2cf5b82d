// Names shared by the Jest global setup, the teardown and the tests of one run: the
// run id, its template database and its queue prefix, passed on through the environment.
const RUN_ID_VARIABLE = 'AGENT_LIFECYCLE_TEST_RUN';

export const adminDatabaseUrl = process.env.TEST_DATABASE_ADMIN_URL ?? 'postgresql://postgres@127.0.0.1:5432/postgres';
export const testRedisUrl = process.env.TEST_REDIS_URL ?? 'redis://127.0.0.1:6379';

/** A run id: sortable by start time, so setup can sweep databases left by crashed runs. */
export function newRunId(): string {
  return `${Date.now().toString(36)}${Math.random().toString(36).slice(2, 6)}`;
}

export function setRunId(runId: string): void {
  process.env[RUN_ID_VARIABLE] = runId;
}

export function runId(): string {
  const id = process.env[RUN_ID_VARIABLE];
  if (!id) throw new Error('No test run id: run tests through `npm test` (Jest global setup creates it).');
  return id;
}

export const databasePrefix = 'al_test_';
export const templateDatabase = (id: string) => `${databasePrefix}${id}_template`;
export const queuePrefixOf = (id: string) => `al-test-${id}`;

export function databaseUrl(database: string): string {
  const url = new URL(adminDatabaseUrl);
  url.pathname = `/${database}`;
  return url.toString();
}
