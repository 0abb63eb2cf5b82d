// How agentctl fails: a usage error (exit 2) when the command line is wrong, a failure
// (exit 1) when the request cannot be done; either way one line on stderr.

/** The command line itself is wrong: unknown command or option, missing argument. */
export class UsageError extends Error {
  readonly exitCode = 2;
}

/** The command was understood but cannot be carried out (unknown id, conflict, unreachable service). */
export class CommandFailed extends Error {
  readonly exitCode = 1;
}
