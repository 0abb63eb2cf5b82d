// Parses the environment into a typed Config, once, with zod. Every missing or malformed
// variable is reported in one ConfigError, one line each, so a start names them all at once.
import { randomBytes, randomInt } from 'node:crypto';
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
  /** Where a worker serves `/metrics`, `/healthz` and `/readyz`; none when unset. */
  workerMetricsPort: number | undefined;
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

/** One variable and what is wrong with it (never its value: it may be a secret). */
export interface ConfigProblem {
  variable: string;
  problem: string;
}

/** Every problem of the environment; the message is one line per problem. */
export class ConfigError extends Error {
  readonly problems: readonly ConfigProblem[];

  constructor(problems: readonly ConfigProblem[]) {
    super(problems.map((entry) => `Invalid configuration: ${entry.variable} ${entry.problem}`).join('\n'));
    this.name = 'ConfigError';
    this.problems = problems;
  }

  /** The first variable named, for callers that handle one at a time. */
  get variable(): string {
    return this.problems[0]?.variable ?? '';
  }

  /** The message as lines, one per problem. */
  get lines(): string[] {
    return this.message.split('\n');
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

/**
 * Reads variables through their schemas and collects what is wrong instead of stopping at
 * the first problem. A variable that failed reads as `undefined`; `finish()` throws before
 * such a value can reach a caller.
 */
class EnvReader {
  private readonly problems: ConfigProblem[] = [];

  constructor(private readonly env: Env) {}

  /** The variable through its schema, or the fallback when it is unset; required without one. */
  read<T>(name: string, schema: z.ZodType<T>, fallback?: string): T {
    return this.parse(name, schema, nonEmpty(this.env[name]) ? this.env[name] : fallback, true);
  }

  /** Like `read`, but an unset variable is simply `undefined`. */
  optional<T>(name: string, schema: z.ZodType<T>): T | undefined {
    return this.parse(name, schema, nonEmpty(this.env[name]) ? this.env[name] : undefined, false);
  }

  /** A value that must be set (no default), taken as given. */
  required(name: string, problem = 'is required'): string {
    const value = this.env[name];
    if (nonEmpty(value)) return value;
    this.report(name, problem);
    return '';
  }

  report(variable: string, problem: string): void {
    this.problems.push({ variable, problem });
  }

  /** Whether every read of this variable so far succeeded. */
  isValid(name: string): boolean {
    return !this.problems.some((entry) => entry.variable === name);
  }

  finish(): void {
    if (this.problems.length > 0) throw new ConfigError(this.problems);
  }

  private parse<T>(name: string, schema: z.ZodType<T>, raw: string | undefined, required: boolean): T {
    if (raw === undefined) {
      if (required) this.report(name, 'is required');
      return undefined as T;
    }
    const parsed = schema.safeParse(raw);
    if (parsed.success) return parsed.data;
    // The schema's message names what is expected; the value itself is never repeated.
    this.report(name, parsed.error.issues[0]?.message ?? 'is malformed');
    return undefined as T;
  }
}

const STRIPE_SECRET_ALPHABET = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789';

/** A made-up sandbox secret; Stripe's look like `whsec_` and 32 letters and digits. */
function generateSecret(name: string): string {
  if (name !== 'STRIPE_WEBHOOK_SECRET') return randomBytes(18).toString('base64url');
  let secret = 'whsec_';
  for (let i = 0; i < 32; i += 1) secret += STRIPE_SECRET_ALPHABET[randomInt(STRIPE_SECRET_ALPHABET.length)];
  return secret;
}

export function loadConfig(env: Env = process.env): Config {
  const mode: Mode = isSandbox(env) ? 'sandbox' : 'production';
  const sandbox = mode === 'sandbox';
  const vars = new EnvReader(env);
  const generatedSecrets: string[] = [];

  /** In the sandbox a missing secret is made up (and reported); in production it is required. */
  const secret = (name: string): string => {
    if (nonEmpty(env[name])) return env[name];
    if (!sandbox) return vars.required(name, 'is required (no secret is generated outside the sandbox)');
    generatedSecrets.push(name);
    return generateSecret(name);
  };
  /** A value with a sandbox default that production must set. */
  const sandboxDefault = (fallback: string): string | undefined => (sandbox ? fallback : undefined);

  const simPort = vars.read('SIM_PORT', port, '4010');
  const simUrl = `http://127.0.0.1:${simPort}`;
  const appPort = vars.read('PORT', port, '3000');

  const tailscaleApiKey = nonEmpty(env.TAILSCALE_API_KEY) ? env.TAILSCALE_API_KEY : undefined;
  const oauthId = nonEmpty(env.TAILSCALE_OAUTH_CLIENT_ID) ? env.TAILSCALE_OAUTH_CLIENT_ID : undefined;
  const oauth = oauthId ? { clientId: oauthId, clientSecret: vars.required('TAILSCALE_OAUTH_CLIENT_SECRET', 'is required with TAILSCALE_OAUTH_CLIENT_ID') } : undefined;
  /** Production needs one Tailscale credential: an API key or an OAuth client. */
  const noTailscaleKey = (): undefined => {
    if (!sandbox && !oauth) vars.report('TAILSCALE_API_KEY', 'or TAILSCALE_OAUTH_CLIENT_ID/_SECRET is required');
    return undefined;
  };

  const config: Config = {
    mode,
    nodeEnv: env.NODE_ENV ?? 'development',
    logLevel: vars.read('LOG_LEVEL', z.enum(['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent']), 'info'),
    databaseUrl: vars.read('DATABASE_URL', url(['postgresql:', 'postgres:']), sandboxDefault(defaultDatabaseUrl)),
    redisUrl: vars.read('REDIS_URL', url(['redis:', 'rediss:']), 'redis://127.0.0.1:6379'),
    queuePrefix: vars.read('QUEUE_PREFIX', z.string().regex(/^[\w.-]+$/, 'must be letters, digits, dot, dash or underscore'), 'agent-lifecycle'),
    port: appPort,
    // Without a valid PORT there is no default to offer; PORT's own line says why.
    publicUrl: (vars.read('PUBLIC_URL', httpUrl, vars.isValid('PORT') ? `http://127.0.0.1:${appPort}` : 'http://127.0.0.1') ?? '').replace(/\/$/, ''),
    simPort,
    stopGraceSeconds: vars.read('STOP_GRACE_SECONDS', nonNegative, '60'),
    workerMetricsPort: vars.optional('WORKER_METRICS_PORT', port),
    hetzner: {
      token: vars.read('HCLOUD_TOKEN', z.string(), sandboxDefault(sandboxCredentials.hetzner.token)),
      endpoint: (vars.read('HCLOUD_ENDPOINT', httpUrl, sandbox ? `${simUrl}/v1` : 'https://api.hetzner.cloud/v1') ?? '').replace(/\/$/, ''),
      rateLimitPerHour: vars.read('HETZNER_RATE_LIMIT_PER_HOUR', positiveInt, '3600'),
    },
    tailscale: {
      apiKey: tailscaleApiKey ?? (sandbox && !oauth ? sandboxCredentials.tailscale.apiKey : noTailscaleKey()),
      oauth,
      tailnet: vars.read('TAILSCALE_TAILNET', z.string(), sandboxCredentials.tailscale.tailnet),
      apiUrl: (vars.read('TAILSCALE_API_URL', httpUrl, sandbox ? `${simUrl}/api/v2` : 'https://api.tailscale.com/api/v2') ?? '').replace(/\/$/, ''),
    },
    github: {
      token: vars.read('GITHUB_TOKEN', z.string(), sandboxDefault(sandboxCredentials.github.token)),
      repo: vars.read('GITHUB_REPO', z.string().regex(/^[\w.-]+\/[\w.-]+$/, 'must look like owner/name'), sandboxDefault(sandboxCredentials.github.repo)),
      workflow: vars.read('GITHUB_WORKFLOW', z.string(), sandboxDefault(sandboxCredentials.github.workflow)),
      apiUrl: (vars.read('GITHUB_API_URL', httpUrl, sandbox ? simUrl : 'https://api.github.com') ?? '').replace(/\/$/, ''),
      callbackSecret: secret('GITHUB_CALLBACK_SECRET'),
    },
    stripe: { webhookSecret: secret('STRIPE_WEBHOOK_SECRET') },
    bullBoard: {
      user: vars.read('BULL_BOARD_USER', z.string(), sandboxDefault('operator')),
      password: secret('BULL_BOARD_PASSWORD'),
      readonly: vars.read('BULL_BOARD_READONLY', bool, 'false'),
    },
    generatedSecrets,
  };
  vars.finish();
  return config;
}

/** For process entry points: on a bad environment print every problem, one line each, and exit 1. */
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
