// `agentctl agent list|show`: agents with their instance (server, device, address) and
// the operations that changed them, as the database records them.
import { AgentStatus, findAgent, findUserByEmail, listAgents, type AgentStatus as AgentStatusValue } from '@agent-lifecycle/db';
import { agentView, type AgentView } from '@agent-lifecycle/lifecycle';
import type { CommandSpec } from '../args';
import { CommandFailed } from '../cli-errors';
import type { CliContext } from '../context';
import { keyValues, shortDate, table } from '../output';
import { operationRows, OPERATION_HEADERS } from './operation';

const AGENT_STATUSES = Object.values(AgentStatus);

function instanceSummary(agent: AgentView): string {
  const instance = agent.instance;
  if (!instance) return '-';
  const parts = [
    instance.serverId === null ? 'no server' : `server ${instance.serverId}`,
    instance.tailscaleDeviceId === null ? 'no device' : `device ${instance.tailscaleDeviceId}${instance.tailscaleHostname ? ` (${instance.tailscaleHostname})` : ''}`,
    instance.ipv4 ?? 'no address',
  ];
  return `${parts.join(' · ')} [${instance.status}]`;
}

export const agentCommands: CommandSpec<CliContext>[] = [
  {
    group: 'agent',
    verb: 'list',
    summary: 'list agents with their instance',
    positionals: [],
    options: {
      user: { value: 'EMAIL', description: 'only this user\'s agents' },
      status: { value: 'STATUS', description: 'only agents in this status', choices: AGENT_STATUSES },
    },
    async run(context, args) {
      const db = context.db();
      let userId: string | undefined;
      if (args.options.user !== undefined) {
        const user = await findUserByEmail(db, args.options.user.toLowerCase());
        if (!user) throw new CommandFailed(`No user with email ${args.options.user}.`);
        userId = user.id;
      }
      const agents = await listAgents(db, { userId, status: args.options.status as AgentStatusValue | undefined });
      const views = agents.map((agent) => ({ ...agentView(agent), userEmail: agent.ownerEmail }));
      const rows = views.map((agent) => [agent.id, agent.name, agent.status, agent.userEmail, agent.instance?.serverId, agent.instance?.tailscaleDeviceId, agent.instance?.ipv4, shortDate(agent.createdAt)]);
      const text = views.length === 0 ? 'No agents.' : table(['ID', 'NAME', 'STATUS', 'USER', 'SERVER', 'DEVICE', 'IPV4', 'CREATED'], rows);
      return { json: { agents: views }, text };
    },
  },
  {
    group: 'agent',
    verb: 'show',
    summary: 'show one agent with its instance and recent operations',
    positionals: [{ name: 'ID', description: 'the agent id' }],
    options: {},
    async run(context, args) {
      const id = args.positionals.ID ?? '';
      const found = await findAgent(context.db(), id);
      if (!found) throw new CommandFailed(`No agent ${id}.`);
      const agent = agentView(found);
      const view = { ...agent, userEmail: found.ownerEmail };
      const operations = agent.operations ?? [];
      const text = [
        keyValues([
          ['Agent', agent.id],
          ['Name', agent.name],
          ['Status', agent.suspendedBy && agent.status === 'suspended' ? `${agent.status} (by ${agent.suspendedBy})` : agent.status],
          ['User', view.userEmail],
          ['Created', shortDate(agent.createdAt)],
          ['Instance', instanceSummary(agent)],
        ]),
        '',
        operations.length === 0 ? 'No operations.' : `Recent operations:\n${table(OPERATION_HEADERS, operationRows(operations))}`,
      ].join('\n');
      return { json: { agent: view }, text };
    },
  },
];
