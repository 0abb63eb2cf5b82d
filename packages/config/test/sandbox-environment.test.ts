import { mkdtempSync, readFileSync, statSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { SANDBOX_SECRETS_FILE, childEnvironment, loadConfig, withSandboxSecrets, writeSandboxSecrets } from '../src';

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

  it('writes the generated secrets for agentctl, which uses them only for variables not set, and only in the sandbox', () => {
    const root = mkdtempSync(path.join(os.tmpdir(), 'sandbox-env-'));
    const config = loadConfig({});
    const file = writeSandboxSecrets(root, config);
    expect(file).toBe(path.join(root, SANDBOX_SECRETS_FILE));
    expect(statSync(file).mode & 0o777).toBe(0o600);
    expect(readFileSync(file, 'utf8')).toContain(`STRIPE_WEBHOOK_SECRET=${config.stripe.webhookSecret}\n`);

    const filled = withSandboxSecrets(root, { BULL_BOARD_PASSWORD: 'set-by-me' });
    expect(filled.STRIPE_WEBHOOK_SECRET).toBe(config.stripe.webhookSecret);
    expect(filled.BULL_BOARD_PASSWORD).toBe('set-by-me');
    expect(withSandboxSecrets(root, { NODE_ENV: 'production' })).toEqual({ NODE_ENV: 'production' });
  });
});
