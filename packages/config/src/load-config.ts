// Parses the environment into a typed Config, once, with zod. A missing or malformed
// variable becomes a ConfigError whose message is one line naming the variable.
import { randomBytes } from 'node:crypto';
import { z } from 'zod';
import { sandboxCredentials } from './sandbox-credentials';

export type Mode = 'sandbox' | 'production';

export const defaultDatabaseUrl = 'postgresql://postgres@127.0.0.1:5432/agent_lifecycle';

export interface Config {
  mode: Mode;
  nodeEnv: string;
  logLevel: string;
  databaseUrl: string;
  redisUrl: string;
  /** BullMQ key prefix; tests give every run its own. */
  queuePrefix: string;
  port: number;
  publicUrl: string;
  simPort: number;
  stopGraceSeconds: number;
  hetzner: { token: string; endpoint: string; rateLimitPerHour: number };
  tailscale: {
    apiKey: string | undefined;
    oauth: { clientId: string; clientSecret: string } | undefined;
    tailnet: string;
    apiUrl: string;
  };
  github: { token: string; repo: string; workflow: string; apiUrl: string; callbackSecret: string };
  stripe: { webhookSecret: string };
  bullBoard: { user: string; password: string; readonly: boolean };
  /** Sandbox secrets this process made up because none were set; printed at start-up. */
  generatedSecrets: string[];
}

export class ConfigError extends Error {
  constructor(
    readonly variable: string,
    problem: string,
  ) {
    super(`Invalid configuration: ${variable} ${problem}`);
    this.name = 'ConfigError';
  }
}

type Env = Record<string, string | undefined>;

const REAL_CREDENTIALS = [
  'HCLOUD_TOKEN',
  'TAILSCALE_API_KEY',
  'TAILSCALE_OAUTH_CLIENT_ID',
  'GITHUB_TOKEN',
] as const;

/** Sandbox unless real credentials are set or NODE_ENV=production. */
export function isSandbox(env: Env = process.env): boolean {
  if (env.NODE_ENV === 'production') return false;
  return REAL_CREDENTIALS.every((name) => !nonEmpty(env[name]));
}

function nonEmpty(value: string | undefined): value is string {
  return value !== undefined && value.trim() !== '';
}

const url = (protocols: string[]) =>
  z.string().refine(
    (value) => {
      try {
        return protocols.includes(new URL(value).protocol);
      } catch {
        return false;
      }
    },
    { message: `must be a ${protocols.map((p) => `${p}//`).join(' or ')} URL` },
  );
const httpUrl = url(['http:', 'https:']);
const port = z.coerce.number().int().min(0).max(65535);
const positiveInt = z.coerce.number().int().positive();
const nonNegative = z.coerce.number().min(0);
const bool = z.enum(['true', 'false', '1', '0']).transform((v) => v === 'true' || v === '1');

/** Reads one variable through its schema; the error names the variable, never its value. */
function read<T>(env: Env, name: string, schema: z.ZodType<T>, fallback?: string): T {
  const raw = nonEmpty(env[name]) ? env[name] : fallback;
  if (raw === undefined) throw new ConfigError(name, 'is required');
  const parsed = schema.safeParse(raw);
  if (!parsed.success) {
    const issue = parsed.error.issues[0];
    throw new ConfigError(name, issue?.message ?? 'is malformed');
  }
  return parsed.data;
}

export function loadConfig(env: Env = process.env): Config {
  const mode: Mode = isSandbox(env) ? 'sandbox' : 'production';
  const sandbox = mode === 'sandbox';
  const generatedSecrets: string[] = [];

  /** In the sandbox a missing secret is made up (and reported); in production it is required. */
  const secret = (name: string): string => {
    if (nonEmpty(env[name])) return env[name];
    if (!sandbox) throw new ConfigError(name, 'is required (no secret is generated outside the sandbox)');
    generatedSecrets.push(name);
    return randomBytes(18).toString('base64url');
  };
  /** A value with a sandbox default that production must set. */
  const sandboxDefault = (name: string, fallback: string): string | undefined => (sandbox ? fallback : undefined);

  const simPort = read(env, 'SIM_PORT', port, '4010');
  const simUrl = `http://127.0.0.1:${simPort}`;
  const appPort = read(env, 'PORT', port, '3000');

  const tailscaleApiKey = nonEmpty(env.TAILSCALE_API_KEY) ? env.TAILSCALE_API_KEY : undefined;
  const oauthId = nonEmpty(env.TAILSCALE_OAUTH_CLIENT_ID) ? env.TAILSCALE_OAUTH_CLIENT_ID : undefined;
  const oauth = oauthId
    ? { clientId: oauthId, clientSecret: read(env, 'TAILSCALE_OAUTH_CLIENT_SECRET', z.string()) }
    : undefined;
  if (!sandbox && !tailscaleApiKey && !oauth) {
    throw new ConfigError('TAILSCALE_API_KEY', 'or TAILSCALE_OAUTH_CLIENT_ID/_SECRET is required');
  }

  const config: Config = {
    mode,
    nodeEnv: env.NODE_ENV ?? 'development',
    logLevel: read(env, 'LOG_LEVEL', z.enum(['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent']), 'info'),
    databaseUrl: read(env, 'DATABASE_URL', url(['postgresql:', 'postgres:']), sandboxDefault('DATABASE_URL', defaultDatabaseUrl)),
    redisUrl: read(env, 'REDIS_URL', url(['redis:', 'rediss:']), 'redis://127.0.0.1:6379'),
    queuePrefix: read(env, 'QUEUE_PREFIX', z.string().regex(/^[\w.-]+$/, 'must be letters, digits, dot, dash or underscore'), 'agent-lifecycle'),
    port: appPort,
    publicUrl: read(env, 'PUBLIC_URL', httpUrl, `http://127.0.0.1:${appPort}`).replace(/\/$/, ''),
    simPort,
    stopGraceSeconds: read(env, 'STOP_GRACE_SECONDS', nonNegative, '60'),
    hetzner: {
      token: read(env, 'HCLOUD_TOKEN', z.string(), sandboxDefault('HCLOUD_TOKEN', sandboxCredentials.hetzner.token)),
      endpoint: read(env, 'HCLOUD_ENDPOINT', httpUrl, sandbox ? `${simUrl}/v1` : 'https://api.hetzner.cloud/v1').replace(/\/$/, ''),
      rateLimitPerHour: read(env, 'HETZNER_RATE_LIMIT_PER_HOUR', positiveInt, '3600'),
    },
    tailscale: {
      apiKey: tailscaleApiKey ?? (sandbox && !oauth ? sandboxCredentials.tailscale.apiKey : undefined),
      oauth,
      tailnet: read(env, 'TAILSCALE_TAILNET', z.string(), sandboxCredentials.tailscale.tailnet),
      apiUrl: read(env, 'TAILSCALE_API_URL', httpUrl, sandbox ? `${simUrl}/api/v2` : 'https://api.tailscale.com/api/v2').replace(/\/$/, ''),
    },
    github: {
      token: read(env, 'GITHUB_TOKEN', z.string(), sandboxDefault('GITHUB_TOKEN', sandboxCredentials.github.token)),
      repo: read(env, 'GITHUB_REPO', z.string().regex(/^[\w.-]+\/[\w.-]+$/, 'must look like owner/name'), sandboxDefault('GITHUB_REPO', sandboxCredentials.github.repo)),
      workflow: read(env, 'GITHUB_WORKFLOW', z.string(), sandboxDefault('GITHUB_WORKFLOW', sandboxCredentials.github.workflow)),
      apiUrl: read(env, 'GITHUB_API_URL', httpUrl, sandbox ? simUrl : 'https://api.github.com').replace(/\/$/, ''),
      callbackSecret: secret('GITHUB_CALLBACK_SECRET'),
    },
    stripe: { webhookSecret: secret('STRIPE_WEBHOOK_SECRET') },
    bullBoard: {
      user: nonEmpty(env.BULL_BOARD_USER) ? env.BULL_BOARD_USER : sandbox ? 'operator' : read(env, 'BULL_BOARD_USER', z.string()),
      password: secret('BULL_BOARD_PASSWORD'),
      readonly: read(env, 'BULL_BOARD_READONLY', bool, 'false'),
    },
    generatedSecrets,
  };
  return config;
}

/** For process entry points: on a bad environment print one line and exit 1. */
export function loadConfigOrExit(env: Env = process.env): Config {
  try {
    return loadConfig(env);
  } catch (error) {
    if (error instanceof ConfigError) {
      process.stderr.write(`${error.message}\n`);
      process.exit(1);
    }
    throw error;
  }
}
