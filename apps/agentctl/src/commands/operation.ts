// `agentctl operation list|show|retry`: every intended change to an agent, its steps as
// the workers record them (with Hetzner action ids), and re-running a failed one.
import { findOperationDetail, listOperations, OperationStatus, type OperationStatus as OperationStatusValue } from '@agent-lifecycle/db';
import { operationView, retryOperation, type OperationQueue, type OperationView } from '@agent-lifecycle/lifecycle';
import type { CommandSpec } from '../args';
import { CommandFailed, UsageError } from '../cli-errors';
import type { CliContext } from '../context';
import { keyValues, shortDate, table, type Cell } from '../output';

const OPERATION_STATUSES = Object.values(OperationStatus);

export const OPERATION_HEADERS = ['ID', 'KIND', 'SOURCE', 'STATUS', 'ATTEMPTS', 'CREATED', 'FINISHED', 'ERROR'];

export function operationRows(operations: OperationView[]): Cell[][] {
  return operations.map((op) => [op.id, op.kind, op.source, op.status, op.attempts, shortDate(op.createdAt), shortDate(op.finishedAt), op.error]);
}

export const operationCommands: CommandSpec<CliContext>[] = [
  {
    group: 'operation',
    verb: 'list',
    summary: 'list operations, newest first',
    positionals: [],
    options: {
      agent: { value: 'ID', description: 'only this agent\'s operations' },
      status: { value: 'STATUS', description: 'only operations in this status', choices: OPERATION_STATUSES },
      limit: { value: 'N', description: 'at most N operations (default 50)' },
    },
    async run(context, args) {
      const limit = Number(args.options.limit ?? '50');
      if (!Number.isInteger(limit) || limit < 1 || limit > 1000) throw new UsageError(`agentctl operation list: --limit must be a whole number from 1 to 1000 (got "${args.options.limit}")`);
      const operations = await listOperations(context.db(), { agentId: args.options.agent, status: args.options.status as OperationStatusValue | undefined, limit });
      const views = operations.map((operation) => operationView(operation));
      const rows = views.map((op) => [op.id, op.agentId, op.kind, op.source, op.status, op.attempts, shortDate(op.createdAt), shortDate(op.finishedAt), op.error]);
      const text = views.length === 0 ? 'No operations.' : table(['ID', 'AGENT', 'KIND', 'SOURCE', 'STATUS', 'ATTEMPTS', 'CREATED', 'FINISHED', 'ERROR'], rows);
      return { json: { operations: views }, text };
    },
  },
  {
    group: 'operation',
    verb: 'show',
    summary: 'show one operation with its steps, Hetzner action ids and errors',
    positionals: [{ name: 'ID', description: 'the operation id' }],
    options: {},
    async run(context, args) {
      const id = args.positionals.ID ?? '';
      const operation = await findOperationDetail(context.db(), id);
      if (!operation) throw new CommandFailed(`No operation ${id}.`);
      const view = operationView(operation);
      const steps = view.steps ?? [];
      const job = operation.provisioningJob;
      const text = [
        keyValues([
          ['Operation', view.id],
          ['Kind', view.kind],
          ['Agent', `${view.agentId} (${operation.agent.name}, now ${operation.agent.status})`],
          ['Source', operation.sourceRef ? `${view.source} (${operation.sourceRef})` : view.source],
          ['Status', view.status],
          ['Attempts', view.attempts],
          ['Created', shortDate(view.createdAt)],
          ['Finished', shortDate(view.finishedAt)],
          ['Error', operation.errorCode && view.error ? `${operation.errorCode}: ${view.error}` : view.error],
          ...(job ? ([['Provisioning', `job ${job.id} ${job.status}${job.step ? ` at step ${job.step}` : ''}${job.error ? `: ${job.error}` : ''}`]] as [string, Cell][]) : []),
        ]),
        '',
        steps.length === 0
          ? 'No steps recorded yet.'
          : `Steps:\n${table(
              ['STEP', 'STATUS', 'HETZNER ACTION', 'STARTED', 'FINISHED', 'DETAIL'],
              steps.map((step) => [step.name, step.status, step.hetznerActionId, shortDate(step.startedAt), shortDate(step.finishedAt), step.detail]),
            )}`,
      ].join('\n');
      return { json: { operation: { ...view, errorCode: operation.errorCode, sourceRef: operation.sourceRef } }, text };
    },
  },
  {
    group: 'operation',
    verb: 'retry',
    summary: 're-enqueue a failed operation (same id, resumes its recorded steps)',
    positionals: [{ name: 'ID', description: 'the failed operation\'s id' }],
    options: {},
    async run(context, args) {
      const id = args.positionals.ID ?? '';
      // Redis is only reached once the operation is known to be retryable.
      const queue: OperationQueue = {
        enqueue: async (name, operationId, options) => (await context.queues()).enqueue(name, operationId, options),
        hasLiveJob: async (name, operationId) => (await context.queues()).hasLiveJob(name, operationId),
        requeue: async (name, operationId) => (await context.queues()).requeue(name, operationId),
      };
      const operation = await retryOperation({ db: context.db(), queue }, id, context.actor);
      const view = operationView(operation);
      return { json: { operation: view }, text: `Operation ${view.id} (${view.kind} of agent ${view.agentId}) is queued again.` };
    },
  },
];
