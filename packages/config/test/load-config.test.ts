import { spawnSync } from 'node:child_process';
import path from 'node:path';
import { ConfigError, isSandbox, loadConfig } from '../src';

const real = { HCLOUD_TOKEN: 'h', TAILSCALE_API_KEY: 't', GITHUB_TOKEN: 'g', GITHUB_REPO: 'acme/agents', GITHUB_WORKFLOW: 'p.yml', GITHUB_CALLBACK_SECRET: 'c', STRIPE_WEBHOOK_SECRET: 'whsec_x', BULL_BOARD_USER: 'ops', BULL_BOARD_PASSWORD: 'pw' };

function errorOf(env: Record<string, string>): ConfigError {
  try {
    loadConfig(env);
  } catch (error) {
    if (error instanceof ConfigError) return error;
    throw error;
  }
  throw new Error('expected a ConfigError');
}

describe('loadConfig', () => {
  it('runs as a sandbox pointed at the simulator when no real credentials are set', () => {
    const config = loadConfig({ SIM_PORT: '4555' });
    expect(config.mode).toBe('sandbox');
    expect(config.hetzner.endpoint).toBe('http://127.0.0.1:4555/v1');
    expect(config.tailscale.apiUrl).toBe('http://127.0.0.1:4555/api/v2');
    expect(config.github.apiUrl).toBe('http://127.0.0.1:4555');
    expect(config.databaseUrl).toBe('postgresql://postgres@127.0.0.1:5432/agent_lifecycle');
    expect(config.generatedSecrets.sort()).toEqual(['BULL_BOARD_PASSWORD', 'GITHUB_CALLBACK_SECRET', 'STRIPE_WEBHOOK_SECRET']);
    // Made-up secrets look like the real ones: Stripe's signing secrets start with whsec_.
    expect(config.stripe.webhookSecret).toMatch(/^whsec_[A-Za-z0-9]{32}$/);
    expect(config.workerMetricsPort).toBeUndefined();
  });

  it('lets variables that are set win over sandbox defaults', () => {
    const config = loadConfig({ STRIPE_WEBHOOK_SECRET: 'whsec_mine', PORT: '8080', STOP_GRACE_SECONDS: '5' });
    expect(config.stripe.webhookSecret).toBe('whsec_mine');
    expect(config.generatedSecrets).not.toContain('STRIPE_WEBHOOK_SECRET');
    expect(config.publicUrl).toBe('http://127.0.0.1:8080');
    expect(config.stopGraceSeconds).toBe(5);
  });

  it('treats any real credential as production', () => {
    expect(isSandbox({ GITHUB_TOKEN: 'ghp' })).toBe(false);
    expect(isSandbox({ NODE_ENV: 'production' })).toBe(false);
    expect(isSandbox({})).toBe(true);
  });

  it('requires DATABASE_URL outside the sandbox and names it', () => {
    const error = errorOf(real);
    expect(error.variable).toBe('DATABASE_URL');
    expect(error.message).toBe('Invalid configuration: DATABASE_URL is required');
  });

  it('generates no secret in production', () => {
    const { STRIPE_WEBHOOK_SECRET: _omitted, ...rest } = real;
    const error = errorOf({ ...rest, DATABASE_URL: 'postgresql://db/x' });
    expect(error.variable).toBe('STRIPE_WEBHOOK_SECRET');
  });

  it('rejects a malformed REDIS_URL without echoing its value', () => {
    const error = errorOf({ REDIS_URL: 'http://secret-host:6379' });
    expect(error.variable).toBe('REDIS_URL');
    expect(error.message).toBe('Invalid configuration: REDIS_URL must be a redis:// or rediss:// URL');
    expect(error.message).not.toContain('secret-host');
  });

  it('rejects a non-numeric port', () => {
    expect(errorOf({ PORT: 'eighty' }).variable).toBe('PORT');
  });

  it('reads the port a worker serves its metrics on, and refuses one that is not a port', () => {
    expect(loadConfig({ WORKER_METRICS_PORT: '9464' }).workerMetricsPort).toBe(9464);
    expect(errorOf({ WORKER_METRICS_PORT: '99999' }).lines).toEqual([expect.stringMatching(/^Invalid configuration: WORKER_METRICS_PORT /)]);
  });

  it('names every variable a production start is missing at once, one line each', () => {
    const error = errorOf({ NODE_ENV: 'production' });
    expect(error.lines).toEqual([
      'Invalid configuration: DATABASE_URL is required',
      'Invalid configuration: HCLOUD_TOKEN is required',
      'Invalid configuration: TAILSCALE_API_KEY or TAILSCALE_OAUTH_CLIENT_ID/_SECRET is required',
      'Invalid configuration: GITHUB_TOKEN is required',
      'Invalid configuration: GITHUB_REPO is required',
      'Invalid configuration: GITHUB_WORKFLOW is required',
      'Invalid configuration: GITHUB_CALLBACK_SECRET is required (no secret is generated outside the sandbox)',
      'Invalid configuration: STRIPE_WEBHOOK_SECRET is required (no secret is generated outside the sandbox)',
      'Invalid configuration: BULL_BOARD_USER is required',
      'Invalid configuration: BULL_BOARD_PASSWORD is required (no secret is generated outside the sandbox)',
    ]);
    expect(error.problems.map((problem) => problem.variable)).toContain('STRIPE_WEBHOOK_SECRET');
  });

  it('reports malformed and missing variables together, never echoing a value', () => {
    const error = errorOf({ ...real, DATABASE_URL: 'mysql://user:hunter2@db/x', REDIS_URL: 'http://secret-host', PORT: 'eighty' });
    expect(error.problems.map((problem) => problem.variable)).toEqual(['PORT', 'DATABASE_URL', 'REDIS_URL']);
    expect(error.lines).toHaveLength(3);
    expect(error.message).not.toMatch(/hunter2|secret-host|eighty/);
    // PUBLIC_URL has no default without a valid PORT, but is not blamed for PORT's problem.
    expect(error.message).not.toContain('PUBLIC_URL');
  });

  it('requires the OAuth client secret with an OAuth client id', () => {
    const { TAILSCALE_API_KEY: _key, ...rest } = real;
    expect(errorOf({ ...rest, DATABASE_URL: 'postgresql://db/x', TAILSCALE_OAUTH_CLIENT_ID: 'client' }).lines).toEqual([
      'Invalid configuration: TAILSCALE_OAUTH_CLIENT_SECRET is required with TAILSCALE_OAUTH_CLIENT_ID',
    ]);
  });
});

describe('a process started with a bad environment', () => {
  const script = path.join(__dirname, 'fixtures', 'print-config.ts');
  const run = (env: Record<string, string>) =>
    spawnSync(process.execPath, ['--import', 'tsx', script], { env: { PATH: process.env.PATH ?? '', ...env }, encoding: 'utf8' });

  it('stops with one line naming a malformed REDIS_URL', () => {
    const result = run({ REDIS_URL: 'not a url' });
    expect(result.status).toBe(1);
    expect(result.stderr.trim().split('\n')).toEqual(['Invalid configuration: REDIS_URL must be a redis:// or rediss:// URL']);
  });

  it('stops with one line naming a missing DATABASE_URL in production', () => {
    const result = run({ ...real });
    expect(result.status).toBe(1);
    expect(result.stderr.trim()).toBe('Invalid configuration: DATABASE_URL is required');
  });

  it('stops with every problem on its own line, and nothing else', () => {
    const { STRIPE_WEBHOOK_SECRET: _secret, ...rest } = real;
    const result = run({ ...rest, REDIS_URL: 'not a url', STOP_GRACE_SECONDS: '-1' });
    expect(result.status).toBe(1);
    expect(result.stdout).toBe('');
    expect(result.stderr.trim().split('\n')).toEqual([
      'Invalid configuration: DATABASE_URL is required',
      'Invalid configuration: REDIS_URL must be a redis:// or rediss:// URL',
      expect.stringMatching(/^Invalid configuration: STOP_GRACE_SECONDS \S/),
      'Invalid configuration: STRIPE_WEBHOOK_SECRET is required (no secret is generated outside the sandbox)',
    ]);
  });

  it('starts with a valid environment', () => {
    const result = run({ REDIS_URL: 'redis://127.0.0.1:6379' });
    expect(result.status).toBe(0);
    expect(result.stdout.trim()).toBe('sandbox');
  });
});
