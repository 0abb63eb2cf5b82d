// The official Python client (Debian's python3-hcloud, run by Debian's /usr/bin/python3)
// against the simulator, unchanged: create with labels, label selectors, power actions,
// shutdown, a failing action, delete and then not_found. Flows live in hcloud-python/flows.py.
import { execFile } from 'node:child_process';
import path from 'node:path';
import type { CloudSim } from '@agent-lifecycle/cloud-sim';
import { control, sandbox, startSim } from './sim-client';

/** Debian's interpreter, where Debian's python3-hcloud is installed (not a pyenv or venv python). */
const PYTHON = '/usr/bin/python3';
const FLOWS = path.join(__dirname, 'hcloud-python', 'flows.py');

let sim: CloudSim;

/** Runs one flow with only the environment it needs; answers what the client saw. */
function flow<T>(name: string, serverName: string): Promise<T> {
  const env = { PATH: process.env.PATH ?? '/usr/bin:/bin', HCLOUD_ENDPOINT: `${sim.url}/v1`, HCLOUD_TOKEN: sandbox.hetzner.token };
  return new Promise((resolve, reject) => {
    execFile(PYTHON, [FLOWS, name, serverName], { env, timeout: 20_000 }, (error, stdout, stderr) => {
      if (error) reject(new Error(`flow ${name} failed (is python3-hcloud installed?): ${stderr || error.message}`));
      else resolve(JSON.parse(stdout) as T);
    });
  });
}

beforeAll(async () => {
  sim = await startSim();
});
afterAll(() => sim.close());
beforeEach(async () => {
  await control(sim, 'POST', '/reset');
  await control(sim, 'PUT', '/config', { timeScale: 0.001, acpiIgnoreRate: 0, actionErrors: { stop_server: null } });
});

describe('python hcloud against the simulator', () => {
  it('creates a server with labels in a location and reads it running', async () => {
    const server = await flow<{ id: number; name: string; status: string; labels: Record<string, string>; ipv4: string }>('create', 'py-create');
    expect(server).toMatchObject({ name: 'py-create', status: 'running', labels: { 'managed-by': 'agent-lifecycle', 'agent-id': 'py1' } });
    expect(server.ipv4).toMatch(/^\d+\.\d+\.\d+\.\d+$/);
    expect(sim.state().servers).toEqual([expect.objectContaining({ id: server.id, location: expect.objectContaining({ name: 'nbg1' }) })]);
  });

  it('lists servers by label selector', async () => {
    expect(await flow('select', 'py-sel')).toEqual({
      'env=prod': ['py-sel-a'],
      'env!=prod': ['py-sel-b', 'py-sel-c'],
      'env in (prod,dev),!team': ['py-sel-b'],
    });
  });

  it('powers a server off and on, and shuts it down', async () => {
    expect(await flow('power', 'py-power')).toEqual({ after_poweroff: 'off', after_poweron: 'running', after_shutdown: 'off' });
  });

  it('raises the client’s ActionFailedException for an action that ends in error', async () => {
    await control(sim, 'PUT', '/config', { actionErrors: { stop_server: { rate: 1, code: 'server_error', message: 'Cannot stop server' } } });
    expect(await flow('failed-action', 'py-fail')).toEqual({ raised: 'ActionFailedException', command: 'stop_server', status: 'error', code: 'server_error', message: 'Cannot stop server', server: 'running' });
  });

  it('deletes a server, which is not_found at once, while its delete_server action finishes', async () => {
    expect(await flow('delete', 'py-delete')).toEqual({ command: 'delete_server', after_delete: 'not_found', by_name: null });
  });
});
