// `agentctl doctor` as an operator runs it: in the sandbox every check passes against the
// simulator (a table, or JSON); a credential a cloud refuses is a FAILED row, exit code 1
// and one line on stderr naming it.
import type { CloudSim } from '@agent-lifecycle/cloud-sim';
import { simProductionEnv, startTestSim } from '@agent-lifecycle/testing';
import { agentctl, cliEnvironment, linesOf } from './support/run-cli';

let sim: CloudSim;
beforeAll(async () => {
  sim = await startTestSim();
});
afterAll(() => sim.close());

interface DoctorJson {
  ok: boolean;
  mode: string;
  checks: Array<{ cloud: string; check: string; ok: boolean; detail: string }>;
}

describe('agentctl doctor', () => {
  it('passes every check in the sandbox, against the simulator, and prints them as a table', async () => {
    const result = await agentctl(['doctor'], cliEnvironment({ SIM_PORT: String(sim.port) }));
    expect(result.stderr).toBe('');
    expect(result.code).toBe(0);
    const lines = linesOf(result.stdout);
    expect(lines[0]).toMatch(/^CLOUD\s+CHECK\s+RESULT\s+DETAIL$/);
    expect(lines.slice(1, 6).map((line) => line.split(/\s{2,}/).slice(0, 3))).toEqual([
      ['Hetzner', 'token', 'ok'],
      ['Tailscale', 'API key and tailnet', 'ok'],
      ['GitHub', 'token', 'ok'],
      ['GitHub', 'workflow', 'ok'],
      ['GitHub', 'ref', 'ok'],
    ]);
    expect(result.stdout).toContain('Checked (sandbox mode):');
    expect(result.stdout).toContain(`HCLOUD_TOKEN at ${sim.url}/v1`);
  });

  it('prints only JSON with --json', async () => {
    const result = await agentctl(['doctor', '--json'], cliEnvironment({ SIM_PORT: String(sim.port) }));
    expect(result.code).toBe(0);
    const report = JSON.parse(result.stdout) as DoctorJson;
    expect(report).toMatchObject({ ok: true, mode: 'sandbox' });
    expect(report.checks.every((check) => check.ok)).toBe(true);
  });

  it('shows a refused credential as FAILED, exits 1 and says what is wrong in one line', async () => {
    const env = { ...cliEnvironment(), ...simProductionEnv(sim, { TAILSCALE_API_KEY: undefined, TAILSCALE_OAUTH_CLIENT_ID: 'sandbox-oauth-client', TAILSCALE_OAUTH_CLIENT_SECRET: 'secret-7f3a9c' }) };
    const result = await agentctl(['doctor'], env);
    expect(result.code).toBe(1);
    expect(result.stdout).toMatch(/^Tailscale\s+OAuth client\s+FAILED\s+refused: /m);
    expect(linesOf(result.stderr)).toEqual([
      expect.stringMatching(/^agentctl doctor: Preflight failed: Tailscale OAuth client \(TAILSCALE_OAUTH_CLIENT_ID\/_SECRET for tailnet - at http:\/\/127\.0\.0\.1:\d+\/api\/v2\): refused: .*unknown client or wrong client secret/),
    ]);
    expect(result.stdout + result.stderr).not.toContain('secret-7f3a9c');
  });

  it('refuses arguments with a usage error', async () => {
    const result = await agentctl(['doctor', 'now'], cliEnvironment({ SIM_PORT: String(sim.port) }));
    expect(result.code).toBe(2);
    expect(linesOf(result.stderr)).toEqual(["agentctl doctor: too many arguments for 'doctor'. Expected 0 arguments but got 1"]);
  });

  it('is listed in agentctl --help', async () => {
    const result = await agentctl(['--help'], cliEnvironment());
    expect(result.stdout).toMatch(/^ {2}doctor\n {6}check each cloud's credentials and scopes with read-only calls$/m);
  });
});
