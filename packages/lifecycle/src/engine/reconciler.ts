// Keeps invariants 4 and 8 (the database converges to the cloud; billing wins at the end):
// deletes servers and devices of agents that are destroyed or failed, corrects agents whose
// server was powered on or off behind our back, and suspends or destroys agents still running
// against their customer's billing state. Agents with an operation in flight are left to it.
// Servers and devices of agents this database never heard of are reported, not deleted:
// they may belong to another deployment sharing the project, or this may be the wrong database.
import {
  findAgentsAgainstBilling,
  recordDestroy,
  findAgentsForReconcile,
  recordPowerDrift,
  recordReconcileAction,
  type Operation,
  type ReconciledAgent,
} from '@agent-lifecycle/db';
import { enqueueOperations, recordOperation } from '../records';
import type { CloudServer } from '../ports';
import { MANAGED_BY } from './destroy-agent';
import type { EngineDeps } from './run';

export interface ReconcileReport {
  orphanServersDeleted: number[];
  orphanDevicesRemoved: string[];
  statusCorrected: { agentId: string; from: string; to: string }[];
  resuspended: string[];
  /** Agents running against their billing state: a suspend (delinquent) or a destroy (cancelled) recorded. */
  billingEnforced: { agentId: string; operationId: string; kind: 'suspend' | 'destroy' }[];
  /** Tagged as ours, but for agents this database does not know: left for an operator. */
  unknownServers: number[];
  unknownDevices: string[];
}

const GONE = new Set(['destroyed', 'failed']);
const AGENT_HOSTNAME = /^agent-(.+)$/;
const BATCH = 500;

export async function reconcile(deps: EngineDeps): Promise<ReconcileReport> {
  const { db, cloud, tailnet, logger, queue } = deps;
  const report: ReconcileReport = {
    orphanServersDeleted: [],
    orphanDevicesRemoved: [],
    statusCorrected: [],
    resuspended: [],
    billingEnforced: [],
    unknownServers: [],
    unknownDevices: [],
  };
  const recorded: Operation[] = [];

  const servers = await cloud.findServers({ ...MANAGED_BY });
  const devices = await tailnet.listDevices();
  const owners = new Set<string>();
  for (const server of servers) if (server.labels['agent-id']) owners.add(server.labels['agent-id']);
  for (const device of devices) {
    const match = AGENT_HOSTNAME.exec(device.hostname);
    if (match?.[1]) owners.add(match[1]);
  }
  const agents = new Map((await findAgentsForReconcile(db, [...owners])).map((agent) => [agent.id, agent]));
  /** Its agent is gone (destroyed or failed) and no operation is about to touch it. */
  const isOrphanOf = (agentId: string) => {
    const agent = agents.get(agentId);
    return agent !== undefined && GONE.has(agent.status) && agent.operations.length === 0;
  };
  /** A second server of a settled agent that has its own recorded server (e.g. a duplicated workflow run). */
  const isExtraServerOf = (agent: ReconciledAgent, serverId: number) =>
    agent.operations.length === 0 && agent.status !== 'provisioning' && agent.instance?.serverId != null && Number(agent.instance.serverId) !== serverId;

  for (const server of servers) {
    const agentId = server.labels['agent-id'];
    const agent = agentId ? agents.get(agentId) : undefined;
    if (!agentId || !agent) {
      report.unknownServers.push(server.id);
      continue;
    }
    if (isOrphanOf(agentId) || isExtraServerOf(agent, server.id)) {
      await cloud.deleteServer(server.id);
      await recordReconcileAction(db, agentId, 'reconcile.orphan_server_deleted', { serverId: server.id, name: server.name });
      report.orphanServersDeleted.push(server.id);
      continue;
    }
    if (agent.operations.length === 0 && agent.instance?.serverId != null && Number(agent.instance.serverId) === server.id) {
      const suspend = await correctDrift(deps, agent, server, report);
      if (suspend) recorded.push(suspend);
    }
  }

  for (const device of devices) {
    const agentId = AGENT_HOSTNAME.exec(device.hostname)?.[1];
    if (!agentId) continue;
    if (!agents.has(agentId)) {
      report.unknownDevices.push(device.id);
      continue;
    }
    if (!isOrphanOf(agentId)) continue;
    await tailnet.removeDevice(device.id);
    await recordReconcileAction(db, agentId, 'reconcile.orphan_device_removed', { deviceId: device.id, hostname: device.hostname });
    report.orphanDevicesRemoved.push(device.id);
  }

  recorded.push(...(await enforceBilling(deps, report)));
  await enqueueOperations(queue, logger, recorded);
  if (report.unknownServers.length + report.unknownDevices.length > 0) {
    logger.warn({ servers: report.unknownServers, devices: report.unknownDevices }, 'servers or devices tagged as ours belong to agents this database does not know; left for an operator');
  }
  const changes = report.orphanServersDeleted.length + report.orphanDevicesRemoved.length + report.statusCorrected.length + report.resuspended.length + report.billingEnforced.length;
  if (changes > 0) logger.info(report, 'reconciled the database with the cloud');
  return report;
}

/** A server powered off or on outside this service: the agent follows the server, except billing's suspension, which is enforced again. */
async function correctDrift(deps: EngineDeps, agent: ReconciledAgent, server: CloudServer, report: ReconcileReport): Promise<Operation | null> {
  const running = server.status === 'running';
  const off = server.status === 'off';
  if (agent.status === 'suspended' && running) {
    const operation = await deps.db.$transaction((tx) => recordOperation(tx, { agentId: agent.id, kind: 'suspend', source: 'sweeper', sourceRef: `drift:${deps.clock.now().getTime()}` }));
    report.resuspended.push(operation.id);
    return operation;
  }
  const to = agent.status === 'active' && off ? 'paused' : agent.status === 'paused' && running ? 'active' : null;
  if (!to) return null;
  await recordPowerDrift(deps.db, agent, to, server);
  report.statusCorrected.push({ agentId: agent.id, from: agent.status, to });
  return null;
}

/**
 * Billing wins at the end, whatever ran in between: an agent still active while its customer's
 * latest subscription is delinquent is suspended, and a live agent of a cancelled one destroyed.
 */
async function enforceBilling(deps: EngineDeps, report: ReconcileReport): Promise<Operation[]> {
  const { db, clock, logger } = deps;
  const operations: Operation[] = [];
  const sourceRef = `billing:${clock.now().getTime()}`;
  for (const agent of await findAgentsAgainstBilling(db, BATCH)) {
    const kind = agent.billing === 'canceled' ? 'destroy' : 'suspend';
    const operation = await db.$transaction((tx) =>
      kind === 'destroy' ? recordDestroy(tx, agent, { source: 'sweeper', sourceRef }) : recordOperation(tx, { agentId: agent.id, kind, source: 'sweeper', sourceRef }),
    );
    logger.warn({ agentId: agent.id, agentStatus: agent.status, billing: agent.billing, operationId: operation.id }, `agent running against its billing state; recorded a ${kind}`);
    report.billingEnforced.push({ agentId: agent.id, operationId: operation.id, kind });
    operations.push(operation);
  }
  return operations;
}
