// The official Hetzner CLI (Debian's hcloud-cli) against the simulator, unchanged: proof
// that the simulated API is faithful enough for real clients. Needs `hcloud` on PATH.
import { execFile } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { CloudSim } from '@agent-lifecycle/cloud-sim';
import { call, control, eventually, runningServer, sandbox, startSim, type ServerJson } from './sim-client';

interface CliResult {
  code: number;
  stdout: string;
  stderr: string;
}

let sim: CloudSim;
let home: string;

/** Runs hcloud with only the environment it needs: no user config or token can leak in. */
function hcloud(...args: string[]): Promise<CliResult> {
  const env = {
    PATH: process.env.PATH ?? '/usr/bin:/bin',
    HOME: home,
    HCLOUD_CONFIG: join(home, 'cli.toml'),
    HCLOUD_ENDPOINT: `${sim.url}/v1`,
    HCLOUD_TOKEN: sandbox.hetzner.token,
  };
  return new Promise((resolve, reject) => {
    execFile('hcloud', args, { env, timeout: 20_000 }, (error, stdout, stderr) => {
      if (error && typeof error.code !== 'number') {
        reject(new Error(`could not run hcloud (is the hcloud-cli package installed?): ${error.message}`));
        return;
      }
      resolve({ code: error ? Number(error.code) : 0, stdout, stderr });
    });
  });
}

async function statusViaCli(name: string): Promise<string> {
  const result = await hcloud('server', 'describe', name, '-o', 'json');
  expect(result.code).toBe(0);
  return (JSON.parse(result.stdout) as { status: string }).status;
}

beforeAll(async () => {
  home = mkdtempSync(join(tmpdir(), 'hcloud-cli-'));
  sim = await startSim();
});
afterAll(async () => {
  await sim.close();
  rmSync(home, { recursive: true, force: true });
});
beforeEach(async () => {
  await control(sim, 'POST', '/reset');
  await control(sim, 'PUT', '/config', { timeScale: 0.001, acpiIgnoreRate: 0 });
});

describe('hcloud CLI against the simulator', () => {
  it('lists servers with their status, addresses and labels', async () => {
    const web = await runningServer(sim, 'web-1', { env: 'prod', team: 'web' });
    await runningServer(sim, 'db-1', { env: 'dev' });

    const table = await hcloud('server', 'list');
    expect(table.code).toBe(0);
    expect(table.stdout).toMatch(/^ID\s+NAME\s+STATUS\s+IPV4\s+IPV6\s+PRIVATE NET\s+DATACENTER/);
    // This 2023 CLI still has a DATACENTER column; today's API sends no datacenter, so it stays empty.
    expect(table.stdout).toMatch(new RegExp(`${web.id}\\s+web-1\\s+running\\s+${web.public_net.ipv4?.ip.replace(/\./g, '\\.')}\\s+2001:db8:\\S+\\s+-\\s*$`, 'm'));

    const json = await hcloud('server', 'list', '-o', 'json');
    expect(json.code).toBe(0);
    const servers = JSON.parse(json.stdout) as Array<{ name: string; labels: Record<string, string> }>;
    expect(servers.map((s) => [s.name, s.labels])).toEqual([
      ['web-1', { env: 'prod', team: 'web' }],
      ['db-1', { env: 'dev' }],
    ]);
  });

  it('filters servers by label selector (-l)', async () => {
    await runningServer(sim, 'web-1', { env: 'prod', team: 'web' });
    await runningServer(sim, 'db-1', { env: 'dev' });
    await runningServer(sim, 'ci-1', { env: 'ci' });

    const names = async (selector: string): Promise<string[]> => {
      const result = await hcloud('server', 'list', '-l', selector, '-o', 'noheader', '-o', 'columns=name');
      expect(result.code).toBe(0);
      return result.stdout.split('\n').map((line) => line.trim()).filter(Boolean);
    };
    expect(await names('env=prod')).toEqual(['web-1']);
    expect(await names('env!=prod')).toEqual(['db-1', 'ci-1']);
    expect(await names('env in (prod,dev),!team')).toEqual(['db-1']);
  });

  it('creates a server with labels and waits for it to start', async () => {
    const result = await hcloud('server', 'create', '--name', 'cli-1', '--type', 'cx22', '--image', 'ubuntu-24.04', '--label', 'managed-by=agent-lifecycle', '--label', 'agent-id=a7');
    expect(result.code).toBe(0);
    const id = /Server (\d+) created/.exec(result.stdout)?.[1];
    expect(id).toBeDefined();
    expect(result.stdout).toMatch(/IPv4: \d+\.\d+\.\d+\.\d+/);
    expect(result.stdout).toMatch(/Root password: \S+/);

    const server = await call<{ server: ServerJson }>(sim, 'GET', `/v1/servers/${id}`);
    expect(server.body.server).toMatchObject({ name: 'cli-1', status: 'running', labels: { 'managed-by': 'agent-lifecycle', 'agent-id': 'a7' } });
    expect(await statusViaCli('cli-1')).toBe('running');
  });

  it('creates a server in a location and describes it with location and no datacenter', async () => {
    const result = await hcloud('server', 'create', '--name', 'cli-nbg', '--type', 'cx22', '--image', 'ubuntu-24.04', '--location', 'nbg1');
    expect(result.code).toBe(0);
    const described = await hcloud('server', 'describe', 'cli-nbg', '-o', 'json');
    expect(described.code).toBe(0);
    const server = JSON.parse(described.stdout) as Record<string, unknown>;
    expect(server.location).toMatchObject({ name: 'nbg1', city: 'Nuremberg' });
    expect(server).not.toHaveProperty('datacenter');
  });

  it('shuts a server down (ACPI) and sees it off', async () => {
    const server = await runningServer(sim, 'cli-shutdown');
    const result = await hcloud('server', 'shutdown', 'cli-shutdown');
    expect(result.code).toBe(0);
    expect(result.stdout).toContain(`Server ${server.id} shut down`);
    await eventually(async () => ((await statusViaCli('cli-shutdown')) === 'off' ? true : undefined), 10_000, 50);
  });

  it('powers a server off and on again', async () => {
    const server = await runningServer(sim, 'cli-power');
    const off = await hcloud('server', 'poweroff', 'cli-power');
    expect(off.code).toBe(0);
    expect(off.stdout).toContain(`Server ${server.id} stopped`);
    expect(await statusViaCli('cli-power')).toBe('off');

    const on = await hcloud('server', 'poweron', String(server.id));
    expect(on.code).toBe(0);
    expect(on.stdout).toContain(`Server ${server.id} started`);
    expect(await statusViaCli('cli-power')).toBe('running');
  });

  it('deletes a server, after which it is not found', async () => {
    await runningServer(sim, 'cli-delete');
    const result = await hcloud('server', 'delete', 'cli-delete');
    expect(result.code).toBe(0);
    expect(result.stdout).toContain('Server cli-delete deleted');
    const gone = await eventually(async () => {
      const describe = await hcloud('server', 'describe', 'cli-delete');
      return describe.code !== 0 ? describe : undefined;
    }, 10_000, 50);
    expect(gone.stderr).toContain('server not found: cli-delete');
  });

  it('exits non-zero with a clear message for a missing server', async () => {
    const byName = await hcloud('server', 'describe', 'no-such-server');
    expect(byName.code).toBe(1);
    expect(byName.stderr).toContain('server not found: no-such-server');

    const byId = await hcloud('server', 'poweroff', '999999');
    expect(byId.code).toBe(1);
    expect(byId.stderr).toContain('server not found: 999999');
  });

  it('exits non-zero with the Hetzner error code when the API refuses', async () => {
    await runningServer(sim, 'taken');
    const duplicate = await hcloud('server', 'create', '--name', 'taken', '--type', 'cx22', '--image', 'ubuntu-24.04');
    expect(duplicate.code).toBe(1);
    expect(duplicate.stderr).toContain('(uniqueness_error)');

    await control(sim, 'POST', '/faults', { rules: [{ method: 'GET', path: '/v1/servers', status: 503, count: 1 }] });
    const unavailable = await hcloud('server', 'list');
    expect(unavailable.code).toBe(1);
    expect(unavailable.stderr).toContain('(unavailable)');
  });
});
