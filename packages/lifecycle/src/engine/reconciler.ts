// Keeps invariant 4 (the database converges to the cloud): deletes servers and devices
// of agents that are destroyed or failed, and corrects agents whose server was powered on
// or off behind our back. Agents with an operation in flight are left to that operation.
// Servers and devices of agents this database never heard of are reported, not deleted:
// they may belong to another deployment sharing the project, or this may be the wrong database.
import type { Agent, AgentInstance, Operation } from '@agent-lifecycle/db';
import { audit, enqueueOperations, recordOperation } from '../records';
import type { CloudServer } from '../ports';
import type { EngineDeps } from './run';
import { MANAGED_BY } from './teardown';

export interface ReconcileReport {
  orphanServersDeleted: number[];
  orphanDevicesRemoved: string[];
  statusCorrected: { agentId: string; from: string; to: string }[];
  resuspended: string[];
  /** Tagged as ours, but for agents this database does not know: left for an operator. */
  unknownServers: number[];
  unknownDevices: string[];
}

type AgentState = Agent & { instance: AgentInstance | null; operations: { id: string }[] };

const GONE = new Set(['destroyed', 'failed']);
const AGENT_HOSTNAME = /^agent-(.+)$/;

export async function reconcile(deps: EngineDeps): Promise<ReconcileReport> {
  const { db, cloud, tailnet, logger, queue } = deps;
  const report: ReconcileReport = { orphanServersDeleted: [], orphanDevicesRemoved: [], statusCorrected: [], resuspended: [], unknownServers: [], unknownDevices: [] };
  const suspends: Operation[] = [];

  const servers = await cloud.findServers({ ...MANAGED_BY });
  const devices = await tailnet.listDevices();
  const owners = new Set<string>();
  for (const server of servers) if (server.labels['agent-id']) owners.add(server.labels['agent-id']);
  for (const device of devices) {
    const match = AGENT_HOSTNAME.exec(device.hostname);
    if (match?.[1]) owners.add(match[1]);
  }
  const agents = new Map<string, AgentState>(
    (
      await db.agent.findMany({
        where: { id: { in: [...owners] } },
        include: { instance: true, operations: { where: { status: { in: ['queued', 'running'] } }, select: { id: true }, take: 1 } },
      })
    ).map((agent) => [agent.id, agent]),
  );
  /** Its agent is gone (destroyed or failed) and no operation is about to touch it. */
  const isOrphanOf = (agentId: string) => {
    const agent = agents.get(agentId);
    return agent !== undefined && GONE.has(agent.status) && agent.operations.length === 0;
  };
  /** A second server of a settled agent that has its own recorded server (e.g. a duplicated workflow run). */
  const isExtraServerOf = (agent: AgentState, serverId: number) =>
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
      await db.auditEntry.create({ data: { agentId, source: 'sweeper', action: 'reconcile.orphan_server_deleted', details: { serverId: server.id, name: server.name } } });
      report.orphanServersDeleted.push(server.id);
      continue;
    }
    if (agent.operations.length === 0 && agent.instance?.serverId !== null && Number(agent.instance?.serverId) === server.id) {
      const suspend = await correctDrift(deps, agent, server, report);
      if (suspend) suspends.push(suspend);
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
    await db.auditEntry.create({ data: { agentId, source: 'sweeper', action: 'reconcile.orphan_device_removed', details: { deviceId: device.id, hostname: device.hostname } } });
    report.orphanDevicesRemoved.push(device.id);
  }

  await enqueueOperations(queue, logger, suspends);
  if (report.unknownServers.length + report.unknownDevices.length > 0) {
    logger.warn({ servers: report.unknownServers, devices: report.unknownDevices }, 'servers or devices tagged as ours belong to agents this database does not know; left for an operator');
  }
  if (report.orphanServersDeleted.length + report.orphanDevicesRemoved.length + report.statusCorrected.length + report.resuspended.length > 0) {
    logger.info(report, 'reconciled the database with the cloud');
  }
  return report;
}

/** A server powered off or on outside this service: the agent follows the server, except billing's suspension, which is enforced again. */
async function correctDrift(deps: EngineDeps, agent: AgentState, server: CloudServer, report: ReconcileReport): Promise<Operation | null> {
  const { db } = deps;
  const running = server.status === 'running';
  const off = server.status === 'off';
  if (agent.status === 'suspended' && running) {
    const operation = await db.$transaction((tx) => recordOperation(tx, { agentId: agent.id, kind: 'suspend', source: 'sweeper', sourceRef: `drift:${Date.now()}` }));
    report.resuspended.push(operation.id);
    return operation;
  }
  const to = agent.status === 'active' && off ? 'paused' : agent.status === 'paused' && running ? 'active' : null;
  if (!to) return null;
  await db.$transaction(async (tx) => {
    await tx.agent.update({ where: { id: agent.id }, data: { status: to } });
    await tx.agentInstance.update({ where: { agentId: agent.id }, data: { status: to === 'paused' ? 'stopped' : 'running' } });
    await audit(tx, { agentId: agent.id, source: 'sweeper', action: 'reconcile.status_drift', fromStatus: agent.status, toStatus: to, details: { serverId: server.id, serverStatus: server.status } });
  });
  report.statusCorrected.push({ agentId: agent.id, from: agent.status, to });
  return null;
}
