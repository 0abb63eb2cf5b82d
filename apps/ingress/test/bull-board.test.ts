import { QUEUE_NAMES } from '@agent-lifecycle/jobs';
import { call } from './support/http';
import { startTestIngress, type TestIngress } from './support/ingress-fixture';

const basic = (user: string, password: string) => ({ authorization: `Basic ${Buffer.from(`${user}:${password}`).toString('base64')}` });
const operator = basic('operator', 'test-password');

interface QueuesBody {
  queues: { name: string; readOnlyMode: boolean; isPaused: boolean; counts: Record<string, number> }[];
}

describe('Bull Board', () => {
  let t: TestIngress;
  beforeAll(async () => {
    t = await startTestIngress();
  });
  afterAll(() => t.close());

  it('answers 401 with a Basic challenge and no queue data without credentials or with wrong ones', async () => {
    for (const headers of [{}, basic('operator', 'wrong'), basic('intruder', 'test-password'), { authorization: 'Bearer al_token' }, { authorization: 'Basic !!!' }]) {
      for (const path of ['/admin/queues', '/admin/queues/api/queues']) {
        const answer = await call<{ error: { code: string } }>(t.url, 'GET', path, { headers });
        expect([path, answer.status]).toEqual([path, 401]);
        expect(answer.headers.get('www-authenticate')).toMatch(/^Basic realm="Bull Board"/);
        expect(answer.body.error.code).toBe('unauthorized');
        for (const name of QUEUE_NAMES) expect(answer.text).not.toContain(`"${name}"`);
      }
    }
  });

  it('lists every queue of the catalog to the operator', async () => {
    const answer = await call<QueuesBody>(t.url, 'GET', '/admin/queues/api/queues', { headers: operator });
    expect(answer.status).toBe(200);
    expect(answer.body.queues.map((queue) => queue.name).sort()).toEqual([...QUEUE_NAMES].sort());
    expect(answer.body.queues.every((queue) => !queue.readOnlyMode)).toBe(true);

    const page = await call(t.url, 'GET', '/admin/queues', { headers: operator });
    expect(page.status).toBe(200);
    expect(page.headers.get('content-type')).toContain('text/html');
  });

  it('lets the operator pause and resume a queue when not read-only', async () => {
    const pause = await call(t.url, 'PUT', '/admin/queues/api/queues/maintenance/pause', { headers: operator });
    expect(pause.status).toBe(200);
    expect(await t.queues.queues.maintenance.isPaused()).toBe(true);
    await call(t.url, 'PUT', '/admin/queues/api/queues/maintenance/resume', { headers: operator });
    expect(await t.queues.queues.maintenance.isPaused()).toBe(false);
  });
});

describe('Bull Board in read-only mode', () => {
  let t: TestIngress;
  beforeAll(async () => {
    t = await startTestIngress({ env: { BULL_BOARD_READONLY: 'true' } });
    await t.queues.enqueue('agent.stop', 'op_readonly_probe');
  });
  afterAll(() => t.close());

  it('shows the queues as read-only', async () => {
    const answer = await call<QueuesBody>(t.url, 'GET', '/admin/queues/api/queues', { headers: operator });
    expect(answer.status).toBe(200);
    expect(answer.body.queues.map((queue) => queue.name).sort()).toEqual([...QUEUE_NAMES].sort());
    expect(answer.body.queues.every((queue) => queue.readOnlyMode)).toBe(true);
  });

  it.each([
    ['PUT', '/admin/queues/api/queues/hetzner/pause'],
    ['PUT', '/admin/queues/api/queues/pause'],
    ['PUT', '/admin/queues/api/queues/hetzner/empty'],
    ['PUT', '/admin/queues/api/queues/hetzner/obliterate'],
    ['POST', '/admin/queues/api/queues/hetzner/add'],
    ['PUT', '/admin/queues/api/queues/hetzner/op_readonly_probe/promote'],
  ])('refuses %s %s and leaves the queue as it was', async (method, path) => {
    const answer = await call<{ error: { code: string } }>(t.url, method, path, { headers: operator, json: { name: 'agent.stop', data: {} } });
    expect(answer.status).toBe(405);
    expect(answer.body.error.code).toBe('read_only');
    expect(await t.queues.queues.hetzner.isPaused()).toBe(false);
    expect(await t.queues.queues.hetzner.getJobCounts('waiting')).toEqual({ waiting: 1 });
  });
});
