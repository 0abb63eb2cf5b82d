// The whole CLI as a function of its arguments: picks the command, runs it, prints a
// table or JSON on stdout, or one line on stderr, and returns the exit code.
import { isLifecycleError } from '@agent-lifecycle/errors';
import { commandHelp, overallHelp, parseCommandArgs, parseInvocation, type CommandSpec } from './args';
import { CommandFailed, UsageError } from './cli-errors';
import { agentCommands } from './commands/agent';
import { DOCTOR_SUMMARY, doctorCommand } from './commands/doctor';
import { operationCommands } from './commands/operation';
import { stripeCommands } from './commands/stripe';
import { userCommands } from './commands/user';
import { createCliContext, type CliContext } from './context';

export const COMMANDS: CommandSpec<CliContext>[] = [...userCommands, ...agentCommands, ...operationCommands, ...stripeCommands];

export interface CliIo {
  stdout(text: string): void;
  stderr(text: string): void;
}

const GROUPS = [...new Set(COMMANDS.map((spec) => spec.group))];
const asUnknown = (specs: CommandSpec<CliContext>[]) => specs as unknown as CommandSpec<unknown>[];

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

export async function runAgentctl(argv: string[], io: CliIo, rootDir: string): Promise<number> {
  const invocation = parseInvocation(argv);
  const [group, verb] = invocation.words[0] === 'help' ? invocation.words.slice(1).concat(invocation.rest) : invocation.words;
  const help = invocation.help || invocation.words[0] === 'help';
  const fail = (error: UsageError | CommandFailed) => {
    io.stderr(`${error.message}\n`);
    return error.exitCode;
  };

  if (group === 'doctor') return doctorCommand(invocation.words.slice(1).concat(invocation.rest), { help, json: invocation.json }, io, rootDir);
  if (group === undefined) {
    if (help) {
      io.stdout(`${overallHelp(asUnknown(COMMANDS), [['doctor', DOCTOR_SUMMARY]])}\n`);
      return 0;
    }
    return fail(new UsageError('agentctl: missing command (see agentctl --help)'));
  }
  if (!GROUPS.includes(group)) return fail(new UsageError(`agentctl: unknown command "${group}" (commands: ${GROUPS.join(', ')}; see agentctl --help)`));
  const inGroup = COMMANDS.filter((spec) => spec.group === group);
  if (verb === undefined) {
    if (help) {
      io.stdout(`${inGroup.map((spec) => commandHelp(spec as unknown as CommandSpec<unknown>)).join('\n\n')}\n`);
      return 0;
    }
    return fail(new UsageError(`agentctl ${group}: missing subcommand (one of ${inGroup.map((spec) => spec.verb).join(', ')})`));
  }
  const spec = inGroup.find((candidate) => candidate.verb === verb);
  if (!spec) return fail(new UsageError(`agentctl ${group}: unknown subcommand "${verb}" (one of ${inGroup.map((candidate) => candidate.verb).join(', ')})`));
  if (help) {
    io.stdout(`${commandHelp(spec as unknown as CommandSpec<unknown>)}\n`);
    return 0;
  }

  const context = createCliContext(rootDir);
  try {
    const args = parseCommandArgs(spec as unknown as CommandSpec<unknown>, invocation.rest);
    const output = await spec.run(context, args);
    io.stdout(invocation.json ? `${JSON.stringify(output.json, null, 2)}\n` : `${output.text}\n`);
    return 0;
  } catch (error) {
    if (error instanceof UsageError || error instanceof CommandFailed) return fail(error);
    if (isLifecycleError(error)) return fail(new CommandFailed(error.message));
    return fail(new CommandFailed(describeFailure(error)));
  } finally {
    await context.close().catch(() => undefined);
  }
}
