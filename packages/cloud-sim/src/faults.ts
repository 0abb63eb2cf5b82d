// Injected faults for reliability tests: rules match a method and a path pattern and make
// the matching call fail, slow down or hang, with a probability or for the next N calls.

export interface FaultRule {
  method?: string;
  /** Path pattern: `*` matches within one segment, `**` matches across segments. */
  path: string;
  /** Status to answer with; without one the call proceeds after any latency. */
  status?: number;
  /** Error code for the body; the API's usual code for `status` when absent. */
  code?: string;
  /** Chance (0..1) that a matching call fires the rule; 1 when absent. */
  probability?: number;
  /** Fire for this many calls, then stop; unlimited when absent. */
  count?: number;
  /** Real milliseconds added before answering (or proceeding). */
  latencyMs?: number;
  /** Never answer: the client has to give up. */
  hang?: boolean;
}

export interface StoredFaultRule extends FaultRule {
  id: number;
  fired: number;
}

export interface FaultHit {
  ruleId: number;
  status?: number;
  code?: string;
  latencyMs: number;
  hang: boolean;
}

export class InvalidFaultRule extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'InvalidFaultRule';
  }
}

interface ActiveRule {
  rule: StoredFaultRule;
  method?: string;
  pattern: RegExp;
}

function patternToRegExp(path: string): RegExp {
  const source = path
    .split(/(\*\*|\*)/)
    .map((part) => (part === '**' ? '.*' : part === '*' ? '[^/]*' : part.replace(/[.+?^${}()|[\]\\]/g, '\\$&')))
    .join('');
  return new RegExp(`^${source}/?$`);
}

function optionalNumber(rule: Record<string, unknown>, key: string, index: number, check: (n: number) => boolean, requirement: string): number | undefined {
  const value = rule[key];
  if (value === undefined) return undefined;
  if (typeof value !== 'number' || !Number.isFinite(value) || !check(value)) throw new InvalidFaultRule(`rules[${index}].${key} must be ${requirement}`);
  return value;
}

/** Validates one untrusted rule from `POST /_sim/faults`. */
export function parseFaultRule(raw: unknown, index: number): FaultRule {
  if (typeof raw !== 'object' || raw === null || Array.isArray(raw)) throw new InvalidFaultRule(`rules[${index}] must be an object`);
  const source = raw as Record<string, unknown>;
  if (typeof source.path !== 'string' || !source.path.startsWith('/')) throw new InvalidFaultRule(`rules[${index}].path must be a path pattern starting with /`);
  const rule: FaultRule = { path: source.path };
  if (source.method !== undefined) {
    if (typeof source.method !== 'string' || source.method === '') throw new InvalidFaultRule(`rules[${index}].method must be an HTTP method`);
    rule.method = source.method.toUpperCase();
  }
  const status = optionalNumber(source, 'status', index, (n) => Number.isInteger(n) && n >= 100 && n <= 599, 'an HTTP status');
  if (status !== undefined) rule.status = status;
  if (source.code !== undefined) {
    if (typeof source.code !== 'string') throw new InvalidFaultRule(`rules[${index}].code must be a string`);
    rule.code = source.code;
  }
  const probability = optionalNumber(source, 'probability', index, (n) => n >= 0 && n <= 1, 'a number from 0 to 1');
  if (probability !== undefined) rule.probability = probability;
  const count = optionalNumber(source, 'count', index, (n) => Number.isInteger(n) && n >= 1, 'an integer of at least 1');
  if (count !== undefined) rule.count = count;
  const latencyMs = optionalNumber(source, 'latencyMs', index, (n) => n >= 0, 'a number of at least 0');
  if (latencyMs !== undefined) rule.latencyMs = latencyMs;
  if (source.hang !== undefined) {
    if (typeof source.hang !== 'boolean') throw new InvalidFaultRule(`rules[${index}].hang must be a boolean`);
    rule.hang = source.hang;
  }
  if (rule.status === undefined && !rule.hang && rule.latencyMs === undefined) {
    throw new InvalidFaultRule(`rules[${index}] needs a status, latencyMs or hang`);
  }
  return rule;
}

export class FaultInjector {
  private rules: ActiveRule[] = [];
  private nextId = 1;

  constructor(private readonly random: () => number = Math.random) {}

  add(rules: FaultRule[]): StoredFaultRule[] {
    const stored = rules.map((rule) => ({ ...rule, id: this.nextId++, fired: 0 }));
    for (const rule of stored) this.rules.push({ rule, method: rule.method, pattern: patternToRegExp(rule.path) });
    return stored;
  }

  clear(): void {
    this.rules = [];
  }

  list(): StoredFaultRule[] {
    return this.rules.map(({ rule }) => ({ ...rule }));
  }

  /** The first rule that matches and fires for this call, if any; firing uses up one of its count. */
  pick(method: string, path: string): FaultHit | undefined {
    for (const { rule, method: ruleMethod, pattern } of this.rules) {
      if (ruleMethod !== undefined && ruleMethod !== method) continue;
      if (!pattern.test(path)) continue;
      if (rule.count !== undefined && rule.fired >= rule.count) continue;
      if (this.random() >= (rule.probability ?? 1)) continue;
      rule.fired += 1;
      return { ruleId: rule.id, status: rule.status, code: rule.code, latencyMs: rule.latencyMs ?? 0, hang: rule.hang ?? false };
    }
    return undefined;
  }
}
