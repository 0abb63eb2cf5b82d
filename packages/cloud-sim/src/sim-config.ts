// The simulator's behaviour knobs (docs/simulator.md, `PUT /_sim/config`): defaults and the
// validation of a partial update, so a bad request names the field and changes nothing.

export const provisioningFailureSteps = ['server', 'tailscale', 'bootstrap'] as const;
export type ProvisioningFailureStep = (typeof provisioningFailureSteps)[number];

/** Hetzner commands whose actions the `actionErrors` setting can make fail. */
export const failableCommands = ['start_server', 'stop_server', 'shutdown_server', 'reboot_server', 'create_image'] as const;
export type FailableCommand = (typeof failableCommands)[number];

export interface ActionErrorConfig {
  /** Share (0..1) of the command's actions that end in `status: "error"`. */
  rate: number;
  /** The action's `error.code`, e.g. `server_error`. */
  code: string;
  /** The action's `error.message`. */
  message: string;
}

export interface RateLimitConfig {
  /** Size of each token's bucket (Hetzner: 3600). */
  limit: number;
  /** Requests added back per second of real time (Hetzner: 1). */
  refillPerSecond: number;
}

export interface SimConfig {
  /** Multiplier for every simulated duration: 0.001 makes a 30 s wait take 30 ms. */
  timeScale: number;
  /** Share (0..1) of ACPI shutdown requests a guest ignores. */
  acpiIgnoreRate: number;
  rateLimit: RateLimitConfig;
  /** By Hetzner command: a share of its actions fail with this error (nothing set: none fail). */
  actionErrors: Partial<Record<FailableCommand, ActionErrorConfig>>;
  /** While true, create_image actions do not end: their images stay `creating`, their servers locked. */
  stallImageCreation: boolean;
  provisioning: {
    /** Step at which dispatched provisioning runs fail; null lets them succeed. */
    failAtStep: ProvisioningFailureStep | null;
    /** Simulated milliseconds between the steps of a provisioning run. */
    delayMs: number;
  };
}

export interface SimConfigPatch {
  timeScale?: number;
  acpiIgnoreRate?: number;
  rateLimit?: Partial<RateLimitConfig>;
  /** A command set to null stops failing. */
  actionErrors?: Partial<Record<FailableCommand, ActionErrorConfig | null>>;
  stallImageCreation?: boolean;
  provisioning?: { failAtStep?: ProvisioningFailureStep | null; delayMs?: number };
}

export const defaultSimConfig: SimConfig = {
  timeScale: 1,
  acpiIgnoreRate: 0,
  rateLimit: { limit: 3600, refillPerSecond: 1 },
  actionErrors: {},
  stallImageCreation: false,
  provisioning: { failAtStep: null, delayMs: 1000 },
};

export class InvalidSimConfig extends Error {
  constructor(readonly field: string, problem: string) {
    super(`${field}: ${problem}`);
    this.name = 'InvalidSimConfig';
  }
}

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

function readNumber(source: Record<string, unknown>, key: string, field: string, check: (n: number) => boolean, rule: string): number | undefined {
  const value = source[key];
  if (value === undefined) return undefined;
  if (typeof value !== 'number' || !Number.isFinite(value) || !check(value)) throw new InvalidSimConfig(field, `must be ${rule}`);
  return value;
}

function readObject(source: Record<string, unknown>, key: string): Record<string, unknown> | undefined {
  const value = source[key];
  if (value === undefined) return undefined;
  if (!isRecord(value)) throw new InvalidSimConfig(key, 'must be an object');
  return value;
}

/** Checks an untrusted `PUT /_sim/config` body; throws InvalidSimConfig naming the bad field. */
export function parseSimConfigPatch(body: unknown): SimConfigPatch {
  if (!isRecord(body)) throw new InvalidSimConfig('body', 'must be a JSON object');
  const known = new Set(['timeScale', 'acpiIgnoreRate', 'rateLimit', 'actionErrors', 'stallImageCreation', 'provisioning']);
  for (const key of Object.keys(body)) if (!known.has(key)) throw new InvalidSimConfig(key, 'is not a setting');

  const patch: SimConfigPatch = {};
  const timeScale = readNumber(body, 'timeScale', 'timeScale', (n) => n > 0, 'a number above 0');
  if (timeScale !== undefined) patch.timeScale = timeScale;
  const acpiIgnoreRate = readNumber(body, 'acpiIgnoreRate', 'acpiIgnoreRate', (n) => n >= 0 && n <= 1, 'a number from 0 to 1');
  if (acpiIgnoreRate !== undefined) patch.acpiIgnoreRate = acpiIgnoreRate;

  const rateLimit = readObject(body, 'rateLimit');
  if (rateLimit) {
    const limit = readNumber(rateLimit, 'limit', 'rateLimit.limit', (n) => Number.isInteger(n) && n >= 1, 'an integer of at least 1');
    const refill = readNumber(rateLimit, 'refillPerSecond', 'rateLimit.refillPerSecond', (n) => n > 0, 'a number above 0');
    patch.rateLimit = {};
    if (limit !== undefined) patch.rateLimit.limit = limit;
    if (refill !== undefined) patch.rateLimit.refillPerSecond = refill;
  }

  const actionErrors = readObject(body, 'actionErrors');
  if (actionErrors) {
    patch.actionErrors = {};
    for (const [command, value] of Object.entries(actionErrors)) {
      const field = `actionErrors.${command}`;
      if (!failableCommands.includes(command as FailableCommand)) throw new InvalidSimConfig(field, `is not a command that can fail (${failableCommands.join(', ')})`);
      if (value === null) {
        patch.actionErrors[command as FailableCommand] = null;
        continue;
      }
      if (!isRecord(value)) throw new InvalidSimConfig(field, 'must be an object {rate, code, message} or null');
      const rate = readNumber(value, 'rate', `${field}.rate`, (n) => n >= 0 && n <= 1, 'a number from 0 to 1') ?? 1;
      const code = value.code ?? 'server_error';
      if (typeof code !== 'string' || !/^[a-z][a-z0-9_]*$/.test(code)) throw new InvalidSimConfig(`${field}.code`, 'must be a snake_case error code');
      const message = value.message ?? `simulated ${command} failure`;
      if (typeof message !== 'string' || message === '') throw new InvalidSimConfig(`${field}.message`, 'must be a non-empty string');
      patch.actionErrors[command as FailableCommand] = { rate, code, message };
    }
  }

  if (body.stallImageCreation !== undefined) {
    if (typeof body.stallImageCreation !== 'boolean') throw new InvalidSimConfig('stallImageCreation', 'must be true or false');
    patch.stallImageCreation = body.stallImageCreation;
  }

  const provisioning = readObject(body, 'provisioning');
  if (provisioning) {
    patch.provisioning = {};
    const step = provisioning.failAtStep;
    if (step !== undefined) {
      if (step !== null && !provisioningFailureSteps.includes(step as ProvisioningFailureStep)) {
        throw new InvalidSimConfig('provisioning.failAtStep', `must be null or one of ${provisioningFailureSteps.join(', ')}`);
      }
      patch.provisioning.failAtStep = step as ProvisioningFailureStep | null;
    }
    const delayMs = readNumber(provisioning, 'delayMs', 'provisioning.delayMs', (n) => n >= 0, 'a number of at least 0');
    if (delayMs !== undefined) patch.provisioning.delayMs = delayMs;
  }
  return patch;
}

export function applySimConfigPatch(current: SimConfig, patch: SimConfigPatch): SimConfig {
  return {
    timeScale: patch.timeScale ?? current.timeScale,
    acpiIgnoreRate: patch.acpiIgnoreRate ?? current.acpiIgnoreRate,
    rateLimit: { ...current.rateLimit, ...patch.rateLimit },
    actionErrors: applyActionErrors(current.actionErrors, patch.actionErrors),
    stallImageCreation: patch.stallImageCreation ?? current.stallImageCreation,
    provisioning: {
      failAtStep: patch.provisioning?.failAtStep !== undefined ? patch.provisioning.failAtStep : current.provisioning.failAtStep,
      delayMs: patch.provisioning?.delayMs ?? current.provisioning.delayMs,
    },
  };
}

function applyActionErrors(current: SimConfig['actionErrors'], patch: SimConfigPatch['actionErrors']): SimConfig['actionErrors'] {
  const next: SimConfig['actionErrors'] = { ...current };
  for (const [command, value] of Object.entries(patch ?? {}) as Array<[FailableCommand, ActionErrorConfig | null | undefined]>) {
    if (value === null) delete next[command];
    else if (value !== undefined) next[command] = { ...value };
  }
  return next;
}
