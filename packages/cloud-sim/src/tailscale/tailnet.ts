// The simulated tailnet: devices with Tailscale's API v2 fields (id, nodeId, name,
// hostname, addresses, tags, created, lastSeen, …); a repeated hostname gets a `-1` DNS name.

export interface SimDevice {
  id: string;
  nodeId: string;
  hostname: string;
  name: string;
  addresses: string[];
  tags: string[];
  user: string;
  os: string;
  created: Date;
  lastSeen: Date;
  expires: Date;
}

export interface NewDevice {
  hostname: string;
  tags?: string[];
  os?: string;
}

function tailscaleTime(date: Date): string {
  return date.toISOString().replace(/\.\d{3}Z$/, 'Z');
}

export class InvalidDevice extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'InvalidDevice';
  }
}

export class Tailnet {
  private devices = new Map<string, SimDevice>();
  // Counters survive resets so an old device id never names a new device.
  private serial = 1;

  constructor(
    private readonly now: () => Date,
    private readonly random: () => number,
    readonly dnsSuffix = 'tail5a1e.ts.net',
  ) {}

  add({ hostname, tags = [], os = 'linux' }: NewDevice): SimDevice {
    if (!/^[a-zA-Z0-9]([a-zA-Z0-9-]{0,61}[a-zA-Z0-9])?$/.test(hostname)) throw new InvalidDevice('hostname must be a DNS label of at most 63 characters');
    const badTag = tags.find((tag) => !/^tag:[a-zA-Z0-9][a-zA-Z0-9-]*$/.test(tag));
    if (badTag !== undefined) throw new InvalidDevice(`tag '${badTag}' must look like tag:name`);
    const n = this.serial++;
    const taken = new Set(this.all().map((d) => d.name));
    let name = `${hostname}.${this.dnsSuffix}`;
    for (let suffix = 1; taken.has(name); suffix += 1) name = `${hostname}-${suffix}.${this.dnsSuffix}`;
    const created = this.now();
    const nodeIdAlphabet = 'ABCDEFGHJKLMNPQRSTUVWXYZabcdefghijkmnopqrstuvwxyz23456789';
    const device: SimDevice = {
      id: String(6_100_000_000_000_000 + n * 7919),
      nodeId: `n${Array.from({ length: 10 }, () => nodeIdAlphabet[Math.floor(this.random() * nodeIdAlphabet.length)]).join('')}CNTRL`,
      hostname,
      name,
      addresses: [`100.${64 + ((n >> 16) & 63)}.${(n >> 8) & 255}.${n & 255}`, `fd7a:115c:a1e0::${n.toString(16)}`],
      tags: [...tags],
      user: tags.length > 0 ? 'tagged-devices' : 'provisioner@example.com',
      os,
      created,
      lastSeen: created,
      expires: new Date(created.getTime() + 180 * 24 * 3600 * 1000),
    };
    this.devices.set(device.id, device);
    return device;
  }

  /** A device by its id or its nodeId, both of which the API accepts. */
  get(idOrNodeId: string): SimDevice | undefined {
    return this.devices.get(idOrNodeId) ?? this.all().find((d) => d.nodeId === idOrNodeId);
  }

  remove(idOrNodeId: string): boolean {
    const device = this.get(idOrNodeId);
    if (!device) return false;
    return this.devices.delete(device.id);
  }

  all(): SimDevice[] {
    return [...this.devices.values()];
  }

  reset(): void {
    this.devices = new Map();
  }

  /** The device as the API returns it; `fields=all` adds routes and connectivity. */
  toJson(device: SimDevice, fields: 'default' | 'all' = 'all'): Record<string, unknown> {
    const json: Record<string, unknown> = {
      addresses: [...device.addresses],
      id: device.id,
      nodeId: device.nodeId,
      user: device.user,
      name: device.name,
      hostname: device.hostname,
      clientVersion: '1.76.6-t1a2b3c4d5-gabcdef012',
      updateAvailable: false,
      os: device.os,
      created: tailscaleTime(device.created),
      lastSeen: tailscaleTime(device.lastSeen),
      keyExpiryDisabled: device.tags.length > 0,
      expires: device.tags.length > 0 ? '0001-01-01T00:00:00Z' : tailscaleTime(device.expires),
      authorized: true,
      isExternal: false,
      machineKey: `mkey:${device.id.padStart(64, '0')}`,
      nodeKey: `nodekey:${device.id.padStart(64, 'a')}`,
      blocksIncomingConnections: false,
      tags: [...device.tags],
      tailnetLockError: '',
      tailnetLockKey: '',
    };
    if (fields === 'all') {
      json.enabledRoutes = [];
      json.advertisedRoutes = [];
      json.clientConnectivity = { endpoints: [], mappingVariesByDestIP: false, latency: {}, clientSupports: { hairPinning: false, ipv6: true, pcp: false, pmp: false, udp: true, upnp: false } };
    }
    return json;
  }
}
