// Test data builders: `await aUser().withStripeCustomer('cus_1').create(db)` and
// `await anAgent().ownedBy(user).active().withServer().create(db, sim)`.
import type { CloudSim } from '@agent-lifecycle/cloud-sim';
import type { Agent, AgentStatus, Db, SuspendedBy, User } from '@agent-lifecycle/db';
import { createUser } from '@agent-lifecycle/lifecycle';
import { SIM_HETZNER_TOKEN } from '@agent-lifecycle/testing';
import { waitFor } from './wait';

let serial = 0;
const next = () => {
  serial += 1;
  return `${Date.now().toString(36)}${serial}`;
};

export interface UserWithToken {
  user: User;
  token: string;
}

class UserBuilder {
  private stripeCustomerId: string | undefined;

  withStripeCustomer(id: string = `cus_${next()}`): this {
    this.stripeCustomerId = id;
    return this;
  }

  async create(db: Db): Promise<UserWithToken> {
    return createUser(db, { email: `user-${next()}@example.com`, stripeCustomerId: this.stripeCustomerId });
  }
}

export const aUser = () => new UserBuilder();

export interface BuiltAgent extends Agent {
  serverId: number | null;
  deviceId: string | null;
}

async function simJson<T>(sim: CloudSim, method: string, path: string, body?: unknown): Promise<T> {
  const response = await fetch(`${sim.url}${path}`, {
    method,
    headers: { authorization: `Bearer ${SIM_HETZNER_TOKEN}`, 'content-type': 'application/json' },
    body: body === undefined ? undefined : JSON.stringify(body),
  });
  if (!response.ok) throw new Error(`${method} ${path} → ${response.status} ${await response.text()}`);
  return (await response.json()) as T;
}

export const simServers = (sim: CloudSim) => sim.state().servers as unknown as { id: number; status: string; labels: Record<string, string> }[];
export const simDevices = (sim: CloudSim) => sim.state().devices as unknown as { id: string; hostname: string }[];

class AgentBuilder {
  private status: AgentStatus = 'active';
  private suspendedBy: SuspendedBy | null = null;
  private owner: User | undefined;
  private server = false;
  private device = false;

  ownedBy(owner: User | UserWithToken): this {
    this.owner = 'user' in owner ? owner.user : owner;
    return this;
  }
  active(): this {
    this.status = 'active';
    return this;
  }
  paused(): this {
    this.status = 'paused';
    return this;
  }
  /** Suspended by billing (the only suspension a paid invoice lifts). */
  suspended(): this {
    this.status = 'suspended';
    this.suspendedBy = 'billing';
    return this;
  }
  provisioning(): this {
    this.status = 'provisioning';
    return this;
  }
  destroyed(): this {
    this.status = 'destroyed';
    return this;
  }
  /** A server: created in the simulator when one is given, a made-up id otherwise. */
  withServer(): this {
    this.server = true;
    return this;
  }
  withDevice(): this {
    this.device = true;
    return this;
  }

  async create(db: Db, sim?: CloudSim): Promise<BuiltAgent> {
    const owner = this.owner ?? (await aUser().create(db)).user;
    const agent = await db.agent.create({ data: { userId: owner.id, name: `agent ${next()}`, status: this.status, suspendedBy: this.suspendedBy } });
    const off = this.status === 'paused' || this.status === 'suspended';
    let serverId: number | null = null;
    let deviceId: string | null = null;
    if (this.server && sim) {
      const { server } = await simJson<{ server: { id: number } }>(sim, 'POST', '/v1/servers', {
        name: `agent-${agent.id}`,
        server_type: 'cx22',
        image: 'ubuntu-24.04',
        labels: { 'managed-by': 'agent-lifecycle', 'agent-id': agent.id },
      });
      serverId = server.id;
      await waitFor(async () => simServers(sim).find((s) => s.id === server.id)?.status, (status) => status === 'running', 5_000, 'server running');
      if (off) {
        await simJson(sim, 'POST', `/v1/servers/${server.id}/actions/poweroff`);
        await waitFor(async () => simServers(sim).find((s) => s.id === server.id)?.status, (status) => status === 'off', 5_000, 'server off');
      }
    } else if (this.server) {
      serverId = 1_000_000 + Math.floor(Math.random() * 1_000_000_000);
    }
    if (this.device && sim) {
      deviceId = (await simJson<{ device: { id: string } }>(sim, 'POST', '/_sim/devices', { hostname: `agent-${agent.id}` })).device.id;
    } else if (this.device) {
      deviceId = `dev-${next()}`;
    }
    if (serverId !== null || deviceId !== null) {
      await db.agentInstance.create({
        data: {
          agentId: agent.id,
          serverId: serverId === null ? null : BigInt(serverId),
          tailscaleDeviceId: deviceId,
          tailscaleHostname: `agent-${agent.id}`,
          ipv4: serverId === null ? null : '203.0.113.10',
          status: off ? 'stopped' : 'running',
        },
      });
    }
    return { ...agent, serverId, deviceId };
  }
}

export const anAgent = () => new AgentBuilder();
