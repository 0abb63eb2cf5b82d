// Bull Board as an operator sees it: headless Chromium opens it with the operator's
// credentials on a product running in this process (simulator, ingress, workers), finds
// the lifecycle queues and an agent's completed stop, and keeps a screenshot.
import { mkdirSync } from 'node:fs';
import path from 'node:path';
import { startCloudSim, type CloudSim } from '@agent-lifecycle/cloud-sim';
import { startIngress, type Ingress } from '@agent-lifecycle/ingress';
import { createUser } from '@agent-lifecycle/lifecycle';
import { createLogger } from '@agent-lifecycle/logger';
import { createTestDatabase, testConfig, type TestDatabase } from '@agent-lifecycle/testing';
import { startWorkers, type WorkerProcess } from '@agent-lifecycle/worker';
import { chromium, type Browser } from 'playwright-core';
import { ROOT, eventually, freePort } from './support/processes';

const CHROMIUM_ARGS = ['--headless', '--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run', '--disable-background-networking', '--disable-component-update', '--disable-sync'];
const SCREENSHOT = path.join(ROOT, 'test-artifacts', 'bull-board.png');
const logger = createLogger('e2e', { level: 'silent' });

describe('Bull Board in a browser', () => {
  let database: TestDatabase;
  let sim: CloudSim;
  let ingress: Ingress;
  let workers: WorkerProcess;
  let browser: Browser;
  let stopJobId: string;
  const operator = { username: 'operator', password: 'test-password' };

  async function api<T>(token: string, method: string, route: string, body?: unknown): Promise<T> {
    const response = await fetch(`${ingress.url}${route}`, {
      method,
      headers: { authorization: `Bearer ${token}`, ...(body ? { 'content-type': 'application/json' } : {}) },
      body: body ? JSON.stringify(body) : undefined,
    });
    if (response.status >= 300) throw new Error(`${method} ${route} answered ${response.status}`);
    return (await response.json()) as T;
  }

  beforeAll(async () => {
    database = await createTestDatabase();
    sim = await startCloudSim({ callbackSecret: 'test-callback-secret', config: { timeScale: 0.01, provisioning: { delayMs: 100 } } });
    const config = testConfig({ DATABASE_URL: database.url, PORT: String(await freePort()), SIM_PORT: String(sim.port) });
    ingress = await startIngress({ config, logger, db: database.db, host: '127.0.0.1', shutdownGraceMs: 1_000 });
    workers = await startWorkers({ config, logger, db: database.db, settings: { pollScale: 0.02 } });

    // An agent provisioned through the simulator, then stopped: a completed job on each queue it used.
    const { token } = await createUser(database.db, { email: 'board@example.com', stripeCustomerId: 'cus_board' });
    const { agent } = await api<{ agent: { id: string } }>(token, 'POST', '/api/agents', { name: 'board-agent' });
    await eventually('the agent to be provisioned', 20_000, async () => {
      const shown = await api<{ agent: { status: string } }>(token, 'GET', `/api/agents/${agent.id}`);
      return shown.agent.status === 'active' ? true : undefined;
    });
    const { operation } = await api<{ operation: { id: string } }>(token, 'POST', `/api/agents/${agent.id}/stop`);
    stopJobId = operation.id;
    await eventually('the stop job to complete', 20_000, async () => ((await workers.jobQueues.getJob('agent.stop', stopJobId))?.finishedOn ? true : undefined));

    browser = await chromium.launch({ executablePath: '/usr/bin/chromium', args: CHROMIUM_ARGS });
  }, 60_000);

  afterAll(async () => {
    await browser?.close();
    await workers?.close();
    await ingress?.close();
    await sim?.close();
    await database?.drop();
  });

  it('shows the lifecycle queues and a completed operation job to the operator', async () => {
    const context = await browser.newContext({ httpCredentials: operator, viewport: { width: 1280, height: 900 } });
    try {
      const page = await context.newPage();
      const overview = await page.goto(`${ingress.url}/admin/queues`);
      expect(overview?.status()).toBe(200);
      for (const queue of ['hetzner', 'tailscale', 'github', 'maintenance']) {
        await page.locator(`main a[title="${queue}"]`).waitFor({ state: 'visible', timeout: 10_000 });
      }

      await page.goto(`${ingress.url}/admin/queues/queue/hetzner?status=completed`);
      await page.getByText(stopJobId, { exact: true }).waitFor({ state: 'visible', timeout: 10_000 });
      await expect(page.getByText('agent.stop', { exact: true }).isVisible()).resolves.toBe(true);
      // The job's log: the lines the worker wrote while the job waited for the guest, with its steps.
      await page.getByText('Logs', { exact: true }).click({ timeout: 5_000 });
      await page.getByText(/waiting up to \d+ s for the guest to shut down \(ACPI\); shutdown: succeeded \(action \d+\)/).first().waitFor({ state: 'visible', timeout: 10_000 });

      mkdirSync(path.dirname(SCREENSHOT), { recursive: true });
      await page.screenshot({ path: SCREENSHOT, fullPage: true });
    } finally {
      await context.close();
    }
  }, 30_000);

  it('answers 401 without the operator credentials', async () => {
    const context = await browser.newContext();
    try {
      const page = await context.newPage();
      // Chromium turns the Basic challenge it cannot answer into a navigation error; the
      // answer itself is what matters.
      const answered = page.waitForResponse(`${ingress.url}/admin/queues`);
      await page.goto(`${ingress.url}/admin/queues`).catch(() => null);
      const response = await answered;
      expect(response.status()).toBe(401);
      expect(response.headers()['www-authenticate']).toMatch(/^Basic /);
    } finally {
      await context.close();
    }
  });
});
