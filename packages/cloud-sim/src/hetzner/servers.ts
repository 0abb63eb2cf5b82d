// The simulated Hetzner servers and their power state machine (create, from an image or a
// snapshot; power actions; snapshots of their disk; delete), one action at a time per server,
// with guests that may ignore an ACPI shutdown.
import type { Clock, Cancel } from '../clock';
import type { ActionStore, SimAction } from './actions';
import { hetznerTime } from './actions';
import { defaultLocation, findByIdOrName, locations, serverTypes, type ImageJson, type LocationJson, type ServerTypeJson } from './catalog';
import { HetznerError, type InvalidField } from './errors';
import type { ImageStore, SimImage } from './images';
import { labelProblems } from './labels';
import { timings } from './timings';

export type ServerStatus = 'running' | 'initializing' | 'starting' | 'stopping' | 'off' | 'deleting' | 'migrating' | 'rebuilding' | 'unknown';
export const serverStatuses: readonly ServerStatus[] = ['running', 'initializing', 'starting', 'stopping', 'off', 'deleting', 'migrating', 'rebuilding', 'unknown'];

export interface SimServer {
  id: number;
  name: string;
  status: ServerStatus;
  created: Date;
  labels: Record<string, string>;
  serverType: ServerTypeJson;
  image: ImageJson;
  location: LocationJson;
  ipv4: { id: number; ip: string } | null;
  ipv6: { id: number; network: string } | null;
  /** Pending end of a guest's ACPI shutdown (stopping → off), cancelled by poweroff or delete. */
  guestShutdown?: Cancel;
}

export interface CreateServerResult {
  server: SimServer;
  action: SimAction;
  nextActions: SimAction[];
  rootPassword: string | null;
}

export type PowerCommand = 'poweron' | 'poweroff' | 'shutdown' | 'reboot';

export interface CreateImageResult {
  image: SimImage;
  action: SimAction;
}

interface Dependencies {
  clock: Clock;
  actions: ActionStore;
  images: ImageStore;
  /** Whether create_image actions stall (the `stallImageCreation` setting), read as they fall due. */
  stallImageCreation: () => boolean;
  /** Share (0..1) of ACPI shutdowns the guest ignores, read at each shutdown. */
  acpiIgnoreRate: () => number;
  random: () => number;
}

const hostnamePattern = /^[a-zA-Z0-9]([a-zA-Z0-9.-]{0,61}[a-zA-Z0-9])?$/;

function randomPassword(random: () => number): string {
  const alphabet = 'abcdefghijkmnopqrstuvwxyzABCDEFGHJKLMNPQRSTUVWXYZ23456789';
  return Array.from({ length: 20 }, () => alphabet[Math.floor(random() * alphabet.length)]).join('');
}

export class ServerStore {
  private servers = new Map<number, SimServer>();
  // Ids as large as the API's ids get (above 2^32, below 2^53), counting on across resets
  // so an old id never names a new server; addresses likewise.
  private nextId = 104_857_600_001;
  private nextAddress = 1;

  constructor(private readonly deps: Dependencies) {}

  get(id: number): SimServer | undefined {
    return this.servers.get(id);
  }

  /** The server or Hetzner's 404. */
  require(id: number): SimServer {
    const server = this.servers.get(id);
    if (!server) throw HetznerError.notFound('server', id);
    return server;
  }

  all(): SimServer[] {
    return [...this.servers.values()];
  }

  /** Validates a `POST /v1/servers` body and starts creating the server. */
  create(body: unknown): CreateServerResult {
    if (typeof body !== 'object' || body === null || Array.isArray(body)) throw HetznerError.invalidInput([{ name: 'body', messages: ['must be a JSON object'] }]);
    const input = body as Record<string, unknown>;
    const invalid: InvalidField[] = [];
    const problem = (name: string, message: string): void => {
      invalid.push({ name, messages: [message] });
    };

    const name = input.name;
    if (typeof name !== 'string' || !hostnamePattern.test(name)) problem('name', 'must be a valid hostname of at most 63 characters');
    const serverType = findByIdOrName(serverTypes, input.server_type);
    if (!serverType) problem('server_type', 'server type not found');
    // An image name covers one image per architecture; the server type's architecture picks one.
    const imageCandidates = this.deps.images.matching(input.image);
    const image = imageCandidates.find((i) => i.architecture === serverType?.architecture) ?? imageCandidates[0];
    if (!image) problem('image', 'image not found');
    else if (image.status !== 'available') problem('image', `image ${image.id} is ${image.status}, not available`);
    else if (serverType && image.architecture !== serverType.architecture) problem('image', `image architecture ${image.architecture} does not match server type ${serverType.name}`);
    else if (serverType && image.disk_size > serverType.disk) problem('server_type', `disk of ${serverType.name} (${serverType.disk} GB) is smaller than the image's (${image.disk_size} GB)`);

    // Datacenters were removed from the API on 2026-07-01: a server is placed by location only.
    if (input.datacenter !== undefined && input.datacenter !== null) problem('datacenter', 'is no longer supported, use location');
    let location = defaultLocation;
    if (input.location !== undefined && input.location !== null) {
      const found = findByIdOrName(locations, input.location);
      if (found) location = found;
      else problem('location', 'location not found');
    }

    const labels = input.labels ?? {};
    for (const message of labelProblems(labels)) problem('labels', message);
    const startAfterCreate = input.start_after_create ?? true;
    if (typeof startAfterCreate !== 'boolean') problem('start_after_create', 'must be a boolean');
    const publicNet = (input.public_net ?? {}) as Record<string, unknown>;
    const sshKeys = input.ssh_keys;

    if (invalid.length > 0 || typeof name !== 'string' || !serverType || !image) throw HetznerError.invalidInput(invalid);
    if (this.all().some((s) => s.name === name)) {
      throw new HetznerError(409, 'uniqueness_error', 'server name is already used', { fields: [{ name: 'name', messages: ['is already used'] }] });
    }

    const id = this.nextId++;
    const n = this.nextAddress++;
    // 198.18.0.0/15 and 2001:db8::/32 are reserved for benchmarks and documentation.
    const server: SimServer = {
      id,
      name,
      status: 'initializing',
      created: this.deps.clock.now(),
      labels: { ...(labels as Record<string, string>) },
      serverType,
      image,
      location,
      ipv4: publicNet.enable_ipv4 === false ? null : { id: 60_000_000 + n, ip: `198.${18 + ((n >> 16) & 1)}.${(n >> 8) & 255}.${n & 255}` },
      ipv6: publicNet.enable_ipv6 === false ? null : { id: 70_000_000 + n, network: `2001:db8:${(n & 0xffff).toString(16)}::/64` },
    };
    this.servers.set(id, server);

    const finalStatus: ServerStatus = startAfterCreate === false ? 'off' : 'running';
    const action = this.deps.actions.start('create_server', id, timings.createServer, {
      onSuccess: () => {
        server.status = finalStatus;
      },
    });
    const nextActions = finalStatus === 'running' ? [this.deps.actions.start('start_server', id, timings.createServer)] : [];
    const rootPassword = Array.isArray(sshKeys) && sshKeys.length > 0 ? null : randomPassword(this.deps.random);
    return { server, action, nextActions, rootPassword };
  }

  /**
   * Deletes a server as the API does today: it is gone at once (404, its name free, no
   * longer listed); the `delete_server` action it answers with still runs to its end.
   */
  delete(id: number): SimAction {
    const server = this.lockFree(id);
    server.guestShutdown?.();
    this.servers.delete(id);
    return this.deps.actions.start('delete_server', id, timings.deleteServer);
  }

  /**
   * `create_image` as a snapshot: the image is `creating` (the server locked) until the
   * action ends, then `available`; a failed action leaves no image behind.
   */
  createImage(id: number, body: unknown): CreateImageResult {
    const input = (typeof body === 'object' && body !== null && !Array.isArray(body) ? body : {}) as Record<string, unknown>;
    const invalid: InvalidField[] = [];
    const type = input.type ?? 'snapshot';
    if (type !== 'snapshot') invalid.push({ name: 'type', messages: ['only snapshot images can be created here'] });
    const description = input.description ?? '';
    if (typeof description !== 'string') invalid.push({ name: 'description', messages: ['must be a string'] });
    const labels = input.labels ?? {};
    const labelIssues = labelProblems(labels);
    if (labelIssues.length > 0) invalid.push({ name: 'labels', messages: labelIssues });
    if (invalid.length > 0) throw HetznerError.invalidInput(invalid);

    const server = this.lockFree(id);
    const { images, actions } = this.deps;
    const image = images.snapshot({ id: server.id, name: server.name, diskGb: server.serverType.disk, image: server.image }, description as string, labels as Record<string, string>);
    const action = actions.start(
      'create_image',
      [
        { id: server.id, type: 'server' },
        { id: image.id, type: 'image' },
      ],
      timings.createImage,
      {
        onSuccess: () => {
          image.status = 'available';
        },
        onError: () => images.remove(image.id),
        holdWhile: () => this.deps.stallImageCreation() && images.get(image.id) !== undefined,
      },
    );
    return { image, action };
  }

  power(id: number, command: PowerCommand): SimAction {
    const server = this.lockFree(id);
    const { actions } = this.deps;
    switch (command) {
      case 'poweron':
        if (server.status !== 'off') return actions.start('start_server', id, timings.noOp);
        server.status = 'starting';
        return actions.start('start_server', id, timings.powerOn, {
          onSuccess: () => this.settleStatus(server, 'starting', 'running'),
          onError: () => this.settleStatus(server, 'starting', 'off'),
        });
      case 'poweroff': {
        if (server.status === 'off') return actions.start('stop_server', id, timings.noOp);
        server.guestShutdown?.();
        server.guestShutdown = undefined;
        const before = server.status === 'stopping' ? 'running' : server.status;
        server.status = 'stopping';
        return actions.start('stop_server', id, timings.powerOff, {
          onSuccess: () => this.settleStatus(server, 'stopping', 'off'),
          onError: () => this.settleStatus(server, 'stopping', before),
        });
      }
      case 'shutdown':
        return actions.start('shutdown_server', id, timings.shutdownRequest, { onSuccess: () => this.deliverAcpiShutdown(server) });
      case 'reboot':
        return actions.start('reboot_server', id, server.status === 'running' ? timings.reboot : timings.noOp);
    }
  }

  toJson(server: SimServer): Record<string, unknown> {
    return {
      id: server.id,
      name: server.name,
      status: server.status,
      created: hetznerTime(server.created),
      public_net: {
        ipv4: server.ipv4 ? { id: server.ipv4.id, ip: server.ipv4.ip, blocked: false, dns_ptr: `static.${server.ipv4.ip.split('.').reverse().join('.')}.clients.your-server.de` } : null,
        ipv6: server.ipv6 ? { id: server.ipv6.id, ip: server.ipv6.network, blocked: false, dns_ptr: [] } : null,
        floating_ips: [],
        firewalls: [],
      },
      private_net: [],
      server_type: server.serverType,
      location: server.location,
      image: server.image,
      iso: null,
      rescue_enabled: false,
      locked: this.deps.actions.runningOn(server.id) !== undefined,
      backup_window: null,
      outgoing_traffic: 0,
      ingoing_traffic: 0,
      included_traffic: server.serverType.included_traffic,
      protection: { delete: false, rebuild: false },
      labels: { ...server.labels },
      volumes: [],
      load_balancers: [],
      primary_disk_size: server.serverType.disk,
      placement_group: null,
    };
  }

  /** Forgets every server (timers are the clock's to clear). */
  reset(): void {
    this.servers = new Map();
  }

  /** An action's end moves the server on, unless something else (a delete) moved it first. */
  private settleStatus(server: SimServer, from: ServerStatus, to: ServerStatus): void {
    if (server.status === from) server.status = to;
  }

  private lockFree(id: number): SimServer {
    const server = this.require(id);
    const running = this.deps.actions.runningOn(id);
    if (running) throw HetznerError.locked(id, running.command);
    return server;
  }

  /** The ACPI request has reached the guest: it shuts down, or (as configured) ignores it. */
  private deliverAcpiShutdown(server: SimServer): void {
    if (server.status !== 'running') return;
    if (this.deps.random() < this.deps.acpiIgnoreRate()) return;
    server.status = 'stopping';
    server.guestShutdown = this.deps.clock.after(timings.guestShutdown, () => {
      server.guestShutdown = undefined;
      if (server.status === 'stopping') server.status = 'off';
    });
  }
}
