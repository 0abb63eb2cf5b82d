// A small argument parser for `agentctl <group> <verb> [positionals] [--options]`: finds
// the command, checks its options and arguments, and turns every mistake into a UsageError.
import { UsageError } from './cli-errors';

export interface OptionSpec {
  /** Shown in help as `--name VALUE`. */
  value: string;
  description: string;
  required?: boolean;
  /** The only values accepted. */
  choices?: readonly string[];
}

export interface PositionalSpec {
  name: string;
  description: string;
}

export interface CommandSpec<Context> {
  group: string;
  verb: string;
  summary: string;
  positionals: PositionalSpec[];
  options: Record<string, OptionSpec>;
  /** A few lines after the option list in `--help`. */
  notes?: string[];
  run(context: Context, args: ParsedArgs): Promise<CommandOutput>;
}

export interface ParsedArgs {
  positionals: Record<string, string>;
  options: Record<string, string | undefined>;
}

/** What a command prints: `json` with `--json`, `text` otherwise. */
export interface CommandOutput {
  json: unknown;
  text: string;
}

export interface Invocation {
  json: boolean;
  help: boolean;
  /** The words before any option, e.g. ['user', 'create']. */
  words: string[];
  rest: string[];
}

/** Splits off the global flags (`--json`, `--help`, `-h`) wherever they appear. */
export function parseInvocation(argv: string[]): Invocation {
  const invocation: Invocation = { json: false, help: false, words: [], rest: [] };
  let commandWords = true;
  for (const arg of argv) {
    if (arg === '--json') invocation.json = true;
    else if (arg === '--help' || arg === '-h') invocation.help = true;
    else if (commandWords && !arg.startsWith('-') && invocation.words.length < 2) invocation.words.push(arg);
    else {
      commandWords = false;
      invocation.rest.push(arg);
    }
  }
  return invocation;
}

export function usageOf(spec: CommandSpec<unknown>): string {
  const positionals = spec.positionals.map((p) => p.name);
  const options = Object.entries(spec.options).map(([name, option]) => (option.required ? `--${name} ${option.value}` : `[--${name} ${option.value}]`));
  return ['agentctl', spec.group, spec.verb, ...positionals, ...options, '[--json]'].join(' ');
}

/** Checks the arguments after `<group> <verb>` against the command's spec. */
export function parseCommandArgs(spec: CommandSpec<unknown>, rest: string[]): ParsedArgs {
  const command = `agentctl ${spec.group} ${spec.verb}`;
  const options: Record<string, string | undefined> = {};
  const positionals: string[] = [];
  for (let index = 0; index < rest.length; index += 1) {
    const arg = rest[index] ?? '';
    if (!arg.startsWith('--')) {
      if (arg.startsWith('-') && arg.length > 1) throw new UsageError(`${command}: unknown option ${arg}`);
      positionals.push(arg);
      continue;
    }
    const equals = arg.indexOf('=');
    const name = arg.slice(2, equals === -1 ? undefined : equals);
    const option = spec.options[name];
    if (!option) throw new UsageError(`${command}: unknown option --${name}`);
    let value: string | undefined;
    if (equals !== -1) value = arg.slice(equals + 1);
    else {
      value = rest[index + 1];
      index += 1;
    }
    if (value === undefined || value === '' || (equals === -1 && value.startsWith('--'))) throw new UsageError(`${command}: --${name} needs a value (${option.value})`);
    if (option.choices && !option.choices.includes(value)) {
      throw new UsageError(`${command}: --${name} must be one of ${option.choices.join(', ')} (got "${value}")`);
    }
    options[name] = value;
  }
  for (const [name, option] of Object.entries(spec.options)) {
    if (option.required && options[name] === undefined) throw new UsageError(`${command}: --${name} is required (${usageOf(spec)})`);
  }
  if (positionals.length > spec.positionals.length) {
    throw new UsageError(`${command}: unexpected argument "${positionals[spec.positionals.length] ?? ''}" (${usageOf(spec)})`);
  }
  const named: Record<string, string> = {};
  spec.positionals.forEach((positional, index) => {
    const value = positionals[index];
    if (value === undefined) throw new UsageError(`${command}: ${positional.name} is required (${usageOf(spec)})`);
    named[positional.name] = value;
  });
  return { positionals: named, options };
}

export function commandHelp(spec: CommandSpec<unknown>): string {
  const lines = [`Usage: ${usageOf(spec)}`, '', spec.summary];
  const entries: [string, string][] = [
    ...spec.positionals.map((p): [string, string] => [p.name, p.description]),
    ...Object.entries(spec.options).map(([name, option]): [string, string] => [
      `--${name} ${option.value}`,
      option.choices ? `${option.description} (${option.choices.join(', ')})` : option.description,
    ]),
    ['--json', 'print JSON on stdout instead of a table'],
  ];
  const width = Math.max(...entries.map(([left]) => left.length));
  lines.push('', ...entries.map(([left, right]) => `  ${left.padEnd(width)}  ${right}`));
  if (spec.notes?.length) lines.push('', ...spec.notes);
  return lines.join('\n');
}

/** `more`: commands outside the group/verb specs, as [usage, summary]. */
export function overallHelp(specs: CommandSpec<unknown>[], more: ReadonlyArray<readonly [string, string]> = []): string {
  const usages = [...specs.map((spec) => [usageOf(spec).replace(/^agentctl /, '').replace(/ \[--json\]$/, ''), spec.summary] as const), ...more];
  return [
    'Usage: agentctl <command> [options] [--json]',
    '',
    'Operator CLI of the agent lifecycle service. Reads the same environment as the',
    'service (DATABASE_URL, REDIS_URL, QUEUE_PREFIX, PUBLIC_URL, STRIPE_WEBHOOK_SECRET);',
    'in the sandbox, secrets not set come from .data/sandbox.env written by `npm start`.',
    '',
    'Commands:',
    ...usages.flatMap(([usage, summary]) => [`  ${usage}`, `      ${summary}`]),
    '',
    'Options for every command:',
    '  --json       print JSON on stdout (and nothing else) instead of a table',
    '  -h, --help   show help for agentctl or for one command',
    '',
    'Exit codes: 0 success, 1 failure (e.g. unknown id), 2 usage error.',
  ].join('\n');
}
