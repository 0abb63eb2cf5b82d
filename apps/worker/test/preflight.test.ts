// `npm run worker` with real credentials checks every cloud before it takes a job: a wrong
// credential stops it at once with one line naming what is wrong; good ones let it start.
import path from 'node:path';
import { spawn } from 'node:child_process';
import type { CloudSim } from '@agent-lifecycle/cloud-sim';
import { createTestDatabase, runProcess, simProductionEnv, startTestSim, testQueuePrefix, testRedisUrl, type TestDatabase } from '@agent-lifecycle/testing';

const ROOT = path.resolve(__dirname, '../../..');
const MAIN = path.join(ROOT, 'apps/worker/src/main.ts');

let sim: CloudSim;
beforeAll(async () => {
  sim = await startTestSim();
});
afterAll(() => sim.close());

const withPath = (env: Record<string, string>) => ({ ...env, PATH: process.env.PATH ?? '', HOME: process.env.HOME ?? '/tmp', LOG_LEVEL: 'info' });

describe('the worker’s preflight', () => {
  it('stops the worker with one line when a cloud refuses the configured credentials', async () => {
    const result = await runProcess(process.execPath, ['--import', 'tsx', MAIN], { cwd: ROOT, env: withPath(simProductionEnv(sim, { GITHUB_WORKFLOW: 'deploy.yml', HCLOUD_TOKEN: 'revoked-token' })) });
    expect(result.code).toBe(1);
    const lines = result.stderr.split('\n').filter((line) => line.trim() !== '');
    expect(lines).toHaveLength(1);
    expect(lines[0]).toMatch(/^Preflight failed: Hetzner token \(HCLOUD_TOKEN at http:\/\/127\.0\.0\.1:\d+\/v1\): refused: the token belongs to no project here; GitHub workflow \(GITHUB_TOKEN for example\/agents \(deploy\.yml\) at .+\): deploy\.yml not found in example\/agents$/);
    expect(result.stderr).not.toContain('revoked-token');
  });

  it('lets the worker start when every check passes', async () => {
    let database: TestDatabase | undefined;
    try {
      database = await createTestDatabase();
      const env = withPath(simProductionEnv(sim, { DATABASE_URL: database.url, REDIS_URL: testRedisUrl, QUEUE_PREFIX: testQueuePrefix() }));
      const child = spawn(process.execPath, ['--import', 'tsx', MAIN, '--queues', 'tailscale'], { cwd: ROOT, env, stdio: ['ignore', 'pipe', 'pipe'] });
      let output = '';
      child.stdout.setEncoding('utf8').on('data', (chunk: string) => (output += chunk));
      child.stderr.setEncoding('utf8').on('data', (chunk: string) => (output += chunk));
      const exited = new Promise<number | null>((resolve) => child.once('close', resolve));
      // Its signal handlers are in place once it says the workers started.
      const started = await Promise.race([
        new Promise<boolean>((resolve) => child.stdout.on('data', () => output.includes('workers started') && resolve(true))),
        exited.then(() => false),
      ]);
      child.kill('SIGTERM');
      expect(await exited).toBe(0);
      expect(started).toBe(true);
      expect(output).toContain('preflight passed');
      expect(output).not.toContain('Preflight failed');
    } finally {
      await database?.drop();
    }
  });
});
