// Every agentctl command, in the order help lists them. A new command is a spec in a file
// of this folder and one line below, plus its group when it starts a new one; a command
// of one word (`agentctl doctor`) is a spec with `verb: ''` and needs no group.
import type { CommandSpec } from '../args';
import type { CliContext } from '../context';
import { agentCommands } from './agent';
import { agentOperationCommands } from './agent-operations';
import { doctorCommands } from './doctor';
import { operationCommands } from './operation';
import { queueCommands } from './queue';
import { stripeCommands } from './stripe';
import { userCommands } from './user';

export const GROUPS: { name: string; summary: string }[] = [
  { name: 'user', summary: 'accounts and their API tokens' },
  { name: 'agent', summary: 'inspect agents; stop, start or destroy one as an operator' },
  { name: 'operation', summary: 'inspect operations; retry a failed one' },
  { name: 'queue', summary: 'BullMQ queues: depths, pause and resume' },
  { name: 'stripe', summary: 'sandbox helper: signed Stripe events to the ingress' },
];

export const COMMANDS: CommandSpec<CliContext>[] = [
  ...userCommands,
  ...agentCommands,
  ...agentOperationCommands,
  ...operationCommands,
  ...queueCommands,
  ...stripeCommands,
  ...doctorCommands,
];
