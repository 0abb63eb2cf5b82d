// `agentctl agent stop|start|destroy ID`: an operator asks what a user may ask, through the
// same use case as the API (same state checks, one operation at a time), recorded with
// source `operator` and the operator's name in the audit trail.
import { createOperationRequests, operationView, type UserOperationKind } from '@agent-lifecycle/lifecycle';
import type { CommandSpec } from '../args';
import { CommandFailed } from '../cli-errors';
import type { CliContext } from '../context';
import { keyValues, shortDate } from '../output';

const SUMMARIES: Record<UserOperationKind, string> = {
  stop: 'stop an active agent as an operator (ACPI shutdown, poweroff after the grace)',
  start: 'start a paused agent as an operator',
  destroy: 'destroy an agent as an operator: its server and Tailscale device are deleted',
};

function operatorCommand(kind: UserOperationKind): CommandSpec<CliContext> {
  return {
    group: 'agent',
    verb: kind,
    summary: SUMMARIES[kind],
    positionals: [{ name: 'ID', description: 'the agent id' }],
    options: {},
    notes: ['Recorded as source "operator" with your name in the audit trail; exits 1 when the', "agent's status does not allow it. Follow it with `agentctl operation show OPERATION`."],
    async run(context, args) {
      const id = args.positionals.ID ?? '';
      const db = context.db();
      const agent = await db.agent.findUnique({ where: { id }, select: { userId: true } });
      if (!agent) throw new CommandFailed(`No agent ${id}.`);
      const requests = createOperationRequests({ db, queue: context.operationQueue(), logger: context.logger() });
      const { value } = await requests.requestOperation({ userId: agent.userId, agentId: id, kind, source: 'operator', actor: context.actor });
      const view = operationView(value.operation);
      return {
        json: { operation: view },
        text: [
          `Accepted: ${kind} of agent ${id}.`,
          keyValues([
            ['Operation', view.id],
            ['Status', view.status],
            ['Source', `${view.source} (${context.actor})`],
            ['Created', shortDate(view.createdAt)],
          ]),
          '',
          `Follow it with: agentctl operation show ${view.id}`,
        ].join('\n'),
      };
    },
  };
}

export const agentOperationCommands: CommandSpec<CliContext>[] = (['stop', 'start', 'destroy'] as const).map(operatorCommand);
