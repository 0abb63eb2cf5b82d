// The environment `npm start` hands to the pieces it runs, and what it leaves in
// `.data/sandbox.env` so a second shell (and `agentctl`) reaches the same sandbox.
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { isSandbox, type Config } from './load-config';

type Env = Record<string, string | undefined>;

/** Where `npm start` writes the sandbox's environment, relative to the repository root. */
export const SANDBOX_ENV_FILE = path.join('.data', 'sandbox.env');

/** The secrets this configuration made up (sandbox only), by variable name. */
export function generatedSecretValues(config: Config): Record<string, string> {
  const values: Record<string, string> = {
    STRIPE_WEBHOOK_SECRET: config.stripe.webhookSecret,
    GITHUB_CALLBACK_SECRET: config.github.callbackSecret,
    BULL_BOARD_PASSWORD: config.bullBoard.password,
  };
  return Object.fromEntries(config.generatedSecrets.flatMap((name) => (values[name] === undefined ? [] : [[name, values[name]]])));
}

/**
 * The environment for a child process of `npm start`: this process's own, plus the
 * secrets generated once here (so every piece agrees) and the resolved log level.
 * Variables already set are passed through untouched: they always win.
 */
export function childEnvironment(config: Config, extra: Record<string, string> = {}, env: Env = process.env): Record<string, string> {
  const inherited = Object.fromEntries(Object.entries(env).filter((entry): entry is [string, string] => entry[1] !== undefined));
  return { ...inherited, LOG_LEVEL: config.logLevel, ...generatedSecretValues(config), ...extra };
}

/** Characters a shell takes literally in a word; anything else is single-quoted. */
const SHELL_SAFE = /^[\w@%+=:,./-]*$/;

const shellWord = (value: string) => (SHELL_SAFE.test(value) ? value : `'${value.replaceAll("'", `'\\''`)}'`);

/** `NAME=value` lines a POSIX shell can source (`set -a; . FILE; set +a`) and parseEnvFile reads back. */
export function formatEnvFile(values: Record<string, string>, header: string): string {
  const lines = Object.entries(values).map(([name, value]) => `${name}=${shellWord(value)}`);
  return `${header
    .split('\n')
    .map((line) => `# ${line}`)
    .join('\n')}\n${lines.join('\n')}\n`;
}

/** Reads `NAME=value` lines; a value in single quotes is taken as the shell would take it. */
export function parseEnvFile(text: string): Record<string, string> {
  const values: Record<string, string> = {};
  for (const line of text.split(/\r?\n/)) {
    const match = /^\s*([A-Z][A-Z0-9_]*)=(.*)$/.exec(line);
    if (!match?.[1] || match[2] === undefined) continue;
    const raw = match[2].trim();
    values[match[1]] = raw.startsWith("'") ? raw.replace(/'\\''/g, "'").replace(/^'|'$/g, '') : raw;
  }
  return values;
}

/** What a second shell needs to reach this sandbox: where everything is, and the generated secrets. */
export function sandboxEnvironmentValues(config: Config): Record<string, string> {
  return {
    DATABASE_URL: config.databaseUrl,
    REDIS_URL: config.redisUrl,
    QUEUE_PREFIX: config.queuePrefix,
    PORT: String(config.port),
    PUBLIC_URL: config.publicUrl,
    SIM_PORT: String(config.simPort),
    ...generatedSecretValues(config),
  };
}

/** Writes the sandbox's environment where a second shell and `agentctl` find it (readable by the owner only). */
export function writeSandboxEnvironment(rootDir: string, config: Config): string {
  const file = path.join(rootDir, SANDBOX_ENV_FILE);
  mkdirSync(path.dirname(file), { recursive: true });
  const header = [
    'The sandbox of the last `npm start`: where it runs and the secrets it generated.',
    'In another shell: set -a; . .data/sandbox.env; set +a',
    'agentctl reads it for variables that are not set; variables set in the environment win.',
  ].join('\n');
  writeFileSync(file, formatEnvFile(sandboxEnvironmentValues(config), header), { mode: 0o600 });
  return file;
}

/**
 * The environment with the values of the last `npm start` filling variables that are not
 * set. Only in the sandbox: outside it everything must come from the environment.
 */
export function withSandboxEnvironment(rootDir: string, env: Env = process.env): Env {
  const file = path.join(rootDir, SANDBOX_ENV_FILE);
  if (!isSandbox(env) || !existsSync(file)) return env;
  const stored = parseEnvFile(readFileSync(file, 'utf8'));
  const filled: Env = { ...env };
  for (const [name, value] of Object.entries(stored)) {
    if (filled[name] === undefined || filled[name]?.trim() === '') filled[name] = value;
  }
  return filled;
}
