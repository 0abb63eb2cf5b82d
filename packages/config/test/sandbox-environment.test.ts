import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, statSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { SANDBOX_ENV_FILE, childEnvironment, loadConfig, parseEnvFile, withSandboxEnvironment, writeSandboxEnvironment } from '../src';

describe('the sandbox environment npm start shares', () => {
  it('gives child processes the secrets generated once, and leaves variables that are set alone', () => {
    const config = loadConfig({ STRIPE_WEBHOOK_SECRET: 'whsec_mine', LOG_LEVEL: 'warn' });
    const env = childEnvironment(config, { EXTRA: '1' }, { STRIPE_WEBHOOK_SECRET: 'whsec_mine', PATH: '/bin', UNSET: undefined });
    expect(env).toEqual({
      PATH: '/bin',
      STRIPE_WEBHOOK_SECRET: 'whsec_mine',
      LOG_LEVEL: 'warn',
      GITHUB_CALLBACK_SECRET: config.github.callbackSecret,
      BULL_BOARD_PASSWORD: config.bullBoard.password,
      EXTRA: '1',
    });
    // A child loading its configuration from that environment agrees with the parent.
    const child = loadConfig(env);
    expect(child.generatedSecrets).toEqual([]);
    expect(child.bullBoard.password).toBe(config.bullBoard.password);
  });

  it('writes what a second shell needs, which agentctl uses only for variables not set, and only in the sandbox', () => {
    const root = mkdtempSync(path.join(os.tmpdir(), 'sandbox-env-'));
    const config = loadConfig({ PORT: '3100', SIM_PORT: '4100', QUEUE_PREFIX: 'demo' });
    const file = writeSandboxEnvironment(root, config);
    expect(file).toBe(path.join(root, SANDBOX_ENV_FILE));
    expect(statSync(file).mode & 0o777).toBe(0o600);
    expect(parseEnvFile(readFileSync(file, 'utf8'))).toEqual({
      DATABASE_URL: 'postgresql://postgres@127.0.0.1:5432/agent_lifecycle',
      REDIS_URL: 'redis://127.0.0.1:6379',
      QUEUE_PREFIX: 'demo',
      PORT: '3100',
      PUBLIC_URL: 'http://127.0.0.1:3100',
      SIM_PORT: '4100',
      STRIPE_WEBHOOK_SECRET: config.stripe.webhookSecret,
      GITHUB_CALLBACK_SECRET: config.github.callbackSecret,
      BULL_BOARD_PASSWORD: config.bullBoard.password,
    });

    const filled = withSandboxEnvironment(root, { BULL_BOARD_PASSWORD: 'set-by-me', PORT: '3999' });
    expect(filled).toMatchObject({ STRIPE_WEBHOOK_SECRET: config.stripe.webhookSecret, BULL_BOARD_PASSWORD: 'set-by-me', PORT: '3999', QUEUE_PREFIX: 'demo' });
    expect(withSandboxEnvironment(root, { NODE_ENV: 'production' })).toEqual({ NODE_ENV: 'production' });
  });

  it('is a file a POSIX shell sources to the same values, whatever characters the URLs hold', () => {
    const root = mkdtempSync(path.join(os.tmpdir(), 'sandbox-env-'));
    const databaseUrl = "postgresql://app:it's&$x@127.0.0.1:5432/agent_lifecycle?sslmode=disable";
    const config = loadConfig({ DATABASE_URL: databaseUrl });
    const file = writeSandboxEnvironment(root, config);
    const shell = spawnSync('sh', ['-c', `set -a; . "${file}"; set +a; node -e 'process.stdout.write(JSON.stringify(process.env))'`], { env: { PATH: process.env.PATH ?? '' }, encoding: 'utf8' });
    expect(shell.stderr).toBe('');
    const sourced = JSON.parse(shell.stdout) as Record<string, string>;
    expect(sourced).toMatchObject({ DATABASE_URL: databaseUrl, PORT: '3000', SIM_PORT: '4010', STRIPE_WEBHOOK_SECRET: config.stripe.webhookSecret });
    expect(parseEnvFile(readFileSync(file, 'utf8')).DATABASE_URL).toBe(databaseUrl);
  });
});
