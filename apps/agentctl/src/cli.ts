// The whole CLI as a function of its arguments: commander picks the command from the
// specs, the command runs, and the result is a table or JSON on stdout, or one line on stderr.
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { CommanderError } from 'commander';
import { isLifecycleError } from '@agent-lifecycle/errors';
import { AgentctlCommand, addSpec, usageOf, type CommandSpec, type ParsedArgs } from './args';
import { CommandFailed, UsageError } from './cli-errors';
import { COMMANDS, GROUPS } from './commands';
import { createCliContext, type CliContext } from './context';

export { COMMANDS };

export interface CliIo {
  stdout(text: string): void;
  stderr(text: string): void;
}

/** The version of the agentctl package (the same file next to `src/` and a compiled `dist/`). */
export const AGENTCTL_VERSION = (JSON.parse(readFileSync(path.join(__dirname, '..', 'package.json'), 'utf8')) as { version: string }).version;

const DESCRIPTION = [
  'Operator CLI of the agent lifecycle service. Reads the same environment as the',
  'service (DATABASE_URL, REDIS_URL, QUEUE_PREFIX, PUBLIC_URL, STRIPE_WEBHOOK_SECRET);',
  'in the sandbox, variables not set come from .data/sandbox.env written by `npm start`.',
].join('\n');

/** The one line an unexpected error becomes: its first line, with what to check for the usual ones. */
function describeFailure(error: unknown): string {
  const message = error instanceof Error ? error.message : String(error);
  const code = (error as { code?: unknown; cause?: { code?: unknown } }).cause?.code ?? (error as { code?: unknown }).code;
  if (code === 'ECONNREFUSED' || /ECONNREFUSED|Can't reach database|connect ECONNREFUSED/i.test(message)) {
    return 'Cannot reach a service (PostgreSQL at DATABASE_URL or Redis at REDIS_URL): connection refused; is it running?';
  }
  const firstLine = message.split('\n').map((line) => line.trim()).find((line) => line !== '') ?? 'unknown error';
  return `agentctl: ${firstLine}`;
}

function overallCommandList(commands: CommandSpec<unknown>[]): string {
  const lines = commands.flatMap((spec) => [`  ${usageOf(spec).replace(/^agentctl /, '').replace(/ \[--json\]$/, '')}`, `      ${spec.summary}`]);
  return ['', 'Every command:', ...lines, '', 'Exit codes: 0 success, 1 failure (e.g. unknown id), 2 usage error.'].join('\n');
}

/** agentctl as a commander program over `commands`; `run` carries out the command the arguments name. */
export function buildProgram<Context>(
  io: CliIo,
  run: (spec: CommandSpec<Context>, args: ParsedArgs) => Promise<void>,
  commands: CommandSpec<Context>[],
  groups: { name: string; summary: string }[],
): AgentctlCommand {
  const program = new AgentctlCommand('agentctl');
  // Settings first: the groups and commands made below inherit them.
  program
    .exitOverride()
    .configureOutput({ writeOut: (text) => io.stdout(text), writeErr: (text) => io.stderr(text), outputError: () => undefined })
    // Commands are listed by name: their whole usage follows in the text after the list.
    .configureHelp({ helpWidth: 100, subcommandTerm: (command) => command.name() })
    .helpOption('-h, --help', 'show this help')
    .helpCommand(true);
  program
    .description(DESCRIPTION)
    .usage('<command> [options] [--json]')
    .version(`agentctl ${AGENTCTL_VERSION}`, '-V, --version', 'print the version of agentctl')
    .option('--json', 'print JSON on stdout (and nothing else) instead of a table')
    .argument('[command...]')
    .action((words: string[]) => {
      if (words.length === 0) throw new UsageError('agentctl: missing command (see agentctl --help)');
      const names = [...new Set(commands.map((spec) => spec.group))];
      throw new UsageError(`agentctl: unknown command "${words[0]}" (commands: ${names.join(', ')}; see agentctl --help)`);
    })
    .addHelpText('after', overallCommandList(commands as CommandSpec<unknown>[]));

  for (const { name, summary } of groups) {
    const specs = commands.filter((spec) => spec.group === name && spec.verb !== '');
    const verbs = specs.map((spec) => spec.verb).join(', ');
    const group = program
      .command(name)
      .description(summary)
      .usage('<subcommand> [options] [--json]')
      .argument('[subcommand...]')
      .action((words: string[]) => {
        if (words.length === 0) throw new UsageError(`agentctl ${name}: missing subcommand (one of ${verbs})`);
        throw new UsageError(`agentctl ${name}: unknown subcommand "${words[0]}" (one of ${verbs})`);
      });
    const subcommands = specs.map((spec) => addSpec(group, spec, run));
    // A group's help shows every one of its commands in full.
    group.addHelpText('after', () => `\n${subcommands.map((command) => command.helpInformation()).join('\n')}`);
  }
  // Commands of one word (`agentctl doctor`) hang off the program itself.
  for (const spec of commands.filter((candidate) => candidate.verb === '')) addSpec(program, spec, run);
  return program;
}

export async function runAgentctl(argv: string[], io: CliIo, rootDir: string): Promise<number> {
  const fail = (error: UsageError | CommandFailed) => {
    io.stderr(`${error.message}\n`);
    return error.exitCode;
  };
  const runCommand = async (spec: CommandSpec<CliContext>, args: ParsedArgs): Promise<void> => {
    const context = createCliContext(rootDir);
    try {
      const output = await spec.run(context, args);
      io.stdout(program.opts<{ json?: boolean }>().json ? `${JSON.stringify(output.json, null, 2)}\n` : `${output.text}\n`);
      if (output.failure) throw new CommandFailed(output.failure);
    } finally {
      await context.close().catch(() => undefined);
    }
  };
  const program = buildProgram(io, runCommand, COMMANDS, GROUPS);

  try {
    await program.parseAsync(argv, { from: 'user' });
    return 0;
  } catch (error) {
    // Help and --version end the parse this way, with exit code 0.
    if (error instanceof CommanderError) return error.exitCode;
    if (error instanceof UsageError || error instanceof CommandFailed) return fail(error);
    if (isLifecycleError(error)) return fail(new CommandFailed(error.message));
    return fail(new CommandFailed(describeFailure(error)));
  }
}
