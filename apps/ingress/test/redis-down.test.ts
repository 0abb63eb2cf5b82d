// With Redis down the API still answers: the operation is committed, the enqueue gives up
// after its short bound, readiness says Redis is down, and once Redis is back a client's
// retry with the same Idempotency-Key creates nothing new and gets the operation enqueued.
// The Redis here is the test's own (a private redis-server it stops and starts), never the shared one.
import { spawn, type ChildProcess } from 'node:child_process';
import { createServer } from 'node:net';
import { aUser, type UserWithToken } from './support/builders';
import { call } from './support/http';
import { startTestIngress, waitingJobs, type TestIngress } from './support/ingress-fixture';
import { waitFor } from './support/wait';

function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const { port } = server.address() as { port: number };
      server.close(() => resolve(port));
    });
  });
}

/** A throwaway redis-server on `port`, answering once it says it is ready. */
async function startRedis(port: number): Promise<ChildProcess> {
  const redis = spawn('redis-server', ['--port', String(port), '--bind', '127.0.0.1', '--save', '', '--appendonly', 'no'], { stdio: ['ignore', 'pipe', 'inherit'] });
  await new Promise<void>((resolve, reject) => {
    let output = '';
    redis.stdout!.on('data', (chunk: Buffer) => {
      output += chunk.toString();
      if (output.includes('Ready to accept connections')) resolve();
    });
    redis.once('exit', (code) => reject(new Error(`redis-server exited with ${code}: ${output}`)));
  });
  return redis;
}

function stopRedis(redis: ChildProcess): Promise<void> {
  return new Promise((resolve) => {
    if (redis.exitCode !== null) return resolve();
    redis.once('exit', () => resolve());
    redis.kill('SIGKILL');
  });
}

let port: number;
let redis: ChildProcess;
let t: TestIngress;
let owner: UserWithToken;
beforeAll(async () => {
  port = await freePort();
  redis = await startRedis(port);
  t = await startTestIngress({ env: { REDIS_URL: `redis://127.0.0.1:${port}` } });
  owner = await aUser().create(t.db);
});
afterAll(async () => {
  await t.close();
  await stopRedis(redis);
});

const readiness = () => call<{ checks: { redis: string; postgres: string } }>(t.url, 'GET', '/readyz');

it('accepts a new agent while Redis is down, and a retry with the same key after Redis returns creates nothing new and enqueues it', async () => {
  await stopRedis(redis);
  const headers = { 'idempotency-key': 'made-while-redis-was-down' };

  const accepted = await call<{ agent: { id: string }; operation: { id: string; status: string } }>(t.url, 'POST', '/api/agents', { token: owner.token, headers, json: { name: 'no redis' } });

  expect(accepted.status).toBe(202);
  expect(accepted.body.operation.status).toBe('queued');
  expect(await t.db.operation.findUniqueOrThrow({ where: { id: accepted.body.operation.id } })).toMatchObject({ kind: 'provision', status: 'queued' });
  const down = await readiness();
  expect([down.status, down.body.checks]).toEqual([503, { redis: 'down', postgres: 'ok' }]);

  redis = await startRedis(port);
  await waitFor(readiness, (answer) => answer.status === 200, 30_000, 'the ingress to reach Redis again');
  const retried = await call<{ agent: { id: string }; operation: { id: string } }>(t.url, 'POST', '/api/agents', { token: owner.token, headers, json: { name: 'no redis' } });

  expect(retried.status).toBe(202);
  expect(retried.headers.get('idempotent-replayed')).toBe('true');
  expect(retried.body.operation.id).toBe(accepted.body.operation.id);
  expect(await t.db.agent.count({ where: { userId: owner.user.id } })).toBe(1);
  await waitFor(() => waitingJobs(t.queues), (jobs) => jobs.some((job) => job.operationId === accepted.body.operation.id), 5_000, 'the provisioning job');
});
