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
    expect(config.stripe.webhookSecret.length).toBeGreaterThan(16);
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

  it('starts with a valid environment', () => {
    const result = run({ REDIS_URL: 'redis://127.0.0.1:6379' });
    expect(result.status).toBe(0);
    expect(result.stdout.trim()).toBe('sandbox');
  });
});
