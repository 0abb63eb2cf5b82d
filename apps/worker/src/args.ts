// The worker's command line, strict: `--queues a,b` (all queues when omitted) and `--help`.
// Anything else is a usage error of one line, so a typo never starts a worker on all queues.
import { parseArgs } from 'node:util';
import { QUEUE_NAMES, type QueueName } from '@agent-lifecycle/jobs';

export const WORKER_USAGE = `Usage: npm run worker -- [--queues NAME[,NAME...]]

Serves BullMQ queues until SIGTERM or SIGINT, then finishes the jobs in flight (at most 30 s).
Reads the same environment as the rest of the service (docs/environment.md).

Options:
  --queues NAMES  comma-separated queues to serve: ${QUEUE_NAMES.join(', ')} (default: all)
  -h, --help      print this help and exit`;

export type WorkerArgs = { help: true } | { help: false; queues: QueueName[] };

/** A command line the worker cannot run with; the message is the one line to print (exit 2). */
export class WorkerUsageError extends Error {
  readonly exitCode = 2;
}

const isQueueName = (name: string): name is QueueName => (QUEUE_NAMES as readonly string[]).includes(name);

export function parseWorkerArgs(argv: string[]): WorkerArgs {
  let parsed: ReturnType<typeof parse>;
  try {
    parsed = parse(argv);
  } catch (error) {
    // node:util's messages are one sentence each ("Unknown option '--queue'. …"): keep the first.
    // (Read as a field: the error may come from another realm, where instanceof fails.)
    const { message: raw } = error as { message?: unknown };
    const message = (typeof raw === 'string' ? raw : String(error)).split(/\. |\n/)[0] ?? 'invalid arguments';
    throw new WorkerUsageError(`worker: ${message.replace(/\.$/, '')} (see --help)`);
  }
  if (parsed.values.help) return { help: true };
  if (parsed.positionals.length > 0) throw new WorkerUsageError(`worker: unexpected argument "${parsed.positionals[0]}" (see --help)`);
  if (parsed.values.queues === undefined) return { help: false, queues: [...QUEUE_NAMES] };

  const names = parsed.values.queues.split(',').map((name) => name.trim()).filter((name) => name !== '');
  const unknown = names.filter((name) => !isQueueName(name));
  if (names.length === 0) throw new WorkerUsageError(`worker: --queues names no queue; choose from ${QUEUE_NAMES.join(', ')}`);
  if (unknown.length > 0) throw new WorkerUsageError(`worker: unknown queue${unknown.length > 1 ? 's' : ''} ${unknown.join(', ')}; choose from ${QUEUE_NAMES.join(', ')}`);
  return { help: false, queues: [...new Set(names.filter(isQueueName))] };
}

function parse(argv: string[]) {
  return parseArgs({
    args: argv,
    strict: true,
    allowPositionals: true,
    options: { queues: { type: 'string' }, help: { type: 'boolean', short: 'h' } },
  });
}
