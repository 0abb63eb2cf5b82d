// agentctl's commands are declared as data (CommandSpec) and parsed by commander: this turns
// each spec into a commander command and every command-line mistake into one UsageError line.
import { Argument, Command, Option } from 'commander';
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
  /** The only values accepted. */
  choices?: readonly string[];
}

export interface CommandSpec<Context> {
  /** The first word (`agent`); a command of one word (`agentctl doctor`) has only this. */
  group: string;
  /** The second word (`list`), or '' for a command of one word. */
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
  /** Set when the command failed after reporting (agentctl doctor): one line for stderr, and exit code 1. */
  failure?: string;
}

/** `agentctl agent show ID [--json]`: how a command is called, as help and usage errors show it. */
export function usageOf(spec: Pick<CommandSpec<unknown>, 'group' | 'verb' | 'positionals' | 'options'>): string {
  const positionals = spec.positionals.map((p) => p.name);
  const options = Object.entries(spec.options).map(([name, option]) => (option.required ? `--${name} ${option.value}` : `[--${name} ${option.value}]`));
  return ['agentctl', spec.group, spec.verb, ...positionals, ...options, '[--json]'].filter((word) => word !== '').join(' ');
}

/** `agentctl agent list` for the command `list` under `agent`. */
function pathOf(command: Command): string {
  const names: string[] = [];
  for (let current: Command | null = command; current; current = current.parent) names.unshift(current.name());
  return names.join(' ');
}

/**
 * A commander command whose parse errors become one UsageError line naming the command,
 * instead of commander's "error: …" on stderr and process.exit.
 */
export class AgentctlCommand extends Command {
  override createCommand(name?: string): AgentctlCommand {
    return new AgentctlCommand(name);
  }

  override error(message: string): never {
    const oneLine = message.replace(/^error: /, '').replace(/\s*\n\s*/g, ' ').replace(/\.$/, '');
    throw new UsageError(`${pathOf(this)}: ${oneLine}`);
  }
}

/**
 * Adds one spec under `parent`: as `<verb>` under its group's command, or as `<group>` under
 * the program for a command of one word. `action` runs it with the parsed arguments.
 */
export function addSpec<Context>(parent: Command, spec: CommandSpec<Context>, action: (spec: CommandSpec<Context>, args: ParsedArgs) => Promise<void>): Command {
  const command = parent.command(spec.verb || spec.group).description(spec.summary);
  const words = spec.verb ? 2 : 1;
  command.usage(usageOf(spec).split(' ').slice(1 + words).join(' '));
  for (const positional of spec.positionals) {
    const argument = new Argument(`<${positional.name}>`, positional.description);
    if (positional.choices) argument.choices(positional.choices);
    command.addArgument(argument);
  }
  const attributes: [string, string][] = [];
  for (const [name, option] of Object.entries(spec.options)) {
    const commanderOption = new Option(`--${name} <${option.value}>`, option.description);
    if (option.choices) commanderOption.choices(option.choices);
    if (option.required) commanderOption.makeOptionMandatory();
    command.addOption(commanderOption);
    attributes.push([name, commanderOption.attributeName()]);
  }
  if (spec.notes?.length) command.addHelpText('after', `\n${spec.notes.join('\n')}`);
  command.action(async () => {
    const values = command.opts<Record<string, string | undefined>>();
    const positionals = Object.fromEntries(spec.positionals.map((positional, index) => [positional.name, String(command.processedArgs[index])]));
    const options = Object.fromEntries(attributes.map(([name, attribute]) => [name, values[attribute]]));
    for (const [name, value] of Object.entries(options)) {
      if (value === '') throw new UsageError(`${pathOf(command)}: --${name} needs a value (${spec.options[name]?.value ?? 'VALUE'})`);
    }
    await action(spec, { positionals, options });
  });
  return command;
}
