// `agentctl queue stats|pause|resume`: the BullMQ queues as operators see them. A pause
// is global: every worker finishes the jobs it holds and takes no new ones until resumed.
import { QUEUE_NAMES, type QueueName } from '@agent-lifecycle/jobs';
import type { CommandSpec } from '../args';
import type { CliContext } from '../context';
import { table } from '../output';

const STATES = ['waiting', 'active', 'delayed', 'prioritized', 'failed', 'completed'] as const;

export interface QueueStats {
  name: QueueName;
  paused: boolean;
  counts: Record<(typeof STATES)[number], number>;
}

const queueName = { name: 'NAME', description: 'the queue', choices: QUEUE_NAMES };

function pauseCommand(verb: 'pause' | 'resume'): CommandSpec<CliContext> {
  const pausing = verb === 'pause';
  return {
    group: 'queue',
    verb,
    summary: pausing ? 'pause a queue for every worker (jobs in flight finish; new ones wait)' : 'resume a paused queue',
    positionals: [queueName],
    options: {},
    async run(context, args) {
      const name = args.positionals.NAME as QueueName;
      const queue = (await context.queues()).queues[name];
      const wasPaused = await queue.isPaused();
      if (pausing) await queue.pause();
      else await queue.resume();
      const text = pausing
        ? `Queue ${name} is paused${wasPaused ? ' (it already was)' : ''}: no worker takes a new job until \`agentctl queue resume ${name}\`.`
        : `Queue ${name} is running${wasPaused ? '' : ' (it was not paused)'}: workers take its jobs again.`;
      return { json: { queue: { name, paused: pausing, wasPaused } }, text };
    },
  };
}

export const queueCommands: CommandSpec<CliContext>[] = [
  {
    group: 'queue',
    verb: 'stats',
    summary: 'jobs in each queue by state, and whether it is paused',
    positionals: [],
    options: {},
    async run(context) {
      const { queues } = await context.queues();
      const stats: QueueStats[] = await Promise.all(
        QUEUE_NAMES.map(async (name) => {
          const [counts, paused] = await Promise.all([queues[name].getJobCounts(...STATES), queues[name].isPaused()]);
          return { name, paused, counts: Object.fromEntries(STATES.map((state) => [state, counts[state] ?? 0])) as QueueStats['counts'] };
        }),
      );
      const rows = stats.map((queue) => [queue.name, queue.paused ? 'paused' : 'running', ...STATES.map((state) => queue.counts[state])]);
      return { json: { queues: stats }, text: table(['QUEUE', 'STATE', ...STATES.map((state) => state.toUpperCase())], rows) };
    },
  },
  pauseCommand('pause'),
  pauseCommand('resume'),
];
