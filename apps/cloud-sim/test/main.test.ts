// `npm run sim` on its own: it reads the service's environment and accepts exactly the
// credentials that environment gives the service (and the built-in sandbox ones), so the
// ingress and workers started alone on the same environment work with it.
import { spawn } from 'node:child_process';
import { createServer } from 'node:net';
import path from 'node:path';
import type { SimCredentials } from '@agent-lifecycle/cloud-sim';
import { eventually } from '@agent-lifecycle/testing';

const ROOT = path.resolve(__dirname, '../../..');
const MAIN = path.join(ROOT, 'apps/cloud-sim/src/main.ts');

async function freePort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as { port: number };
  await new Promise((resolve) => server.close(resolve));
  return port;
}

describe('npm run sim', () => {
  it('accepts the credentials the environment gives the service, and no others', async () => {
    const port = await freePort();
    const env = {
      PATH: process.env.PATH ?? '',
      HOME: process.env.HOME ?? '/tmp',
      LOG_LEVEL: 'silent',
      SIM_PORT: String(port),
      GITHUB_REPO: 'acme/fleet',
      GITHUB_WORKFLOW: 'agents.yml',
      TAILSCALE_TAILNET: 'acme.example',
    };
    const child = spawn(process.execPath, ['--import', 'tsx', MAIN], { cwd: ROOT, env, stdio: 'ignore' });
    const exited = new Promise<number | null>((resolve) => child.once('close', resolve));
    try {
      const url = `http://127.0.0.1:${port}`;
      const { credentials } = await eventually(async () => {
        const response = await fetch(`${url}/_sim/credentials`).catch(() => undefined);
        return response?.ok ? ((await response.json()) as { credentials: SimCredentials }) : undefined;
      }, 20_000, 'the simulator answering');
      expect(credentials.github.workflows.map((w) => `${w.repository}/${w.workflow}`)).toEqual(['example/agents/provision-agent.yml', 'acme/fleet/agents.yml']);
      expect(credentials.tailscale.tailnets).toEqual(['acme.example']);

      const read = (target: string, token: string) => fetch(`${url}${target}`, { headers: { authorization: `Bearer ${token}` } }).then((r) => r.status);
      expect(await read('/repos/acme/fleet/actions/workflows/agents.yml', 'sandbox-github-token')).toBe(200);
      expect(await read('/api/v2/tailnet/acme.example/devices', 'sandbox-tailscale-key')).toBe(200);
      expect(await read('/v1/servers', 'sandbox-hcloud-token')).toBe(200);
      expect(await read('/v1/servers', 'another-token')).toBe(401);
    } finally {
      child.kill('SIGTERM');
      expect(await exited).toBe(0);
    }
  });
});
