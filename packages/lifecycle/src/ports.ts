// The outside world as the use cases need it: a cloud that powers and deletes servers,
// a tailnet that forgets devices, a workflow runner that provisions, a clock. Adapters
// (packages/hetzner, tailscale, github) implement these; tests may fake them.

export type ServerStatus =
  | 'initializing'
  | 'starting'
  | 'running'
  | 'stopping'
  | 'off'
  | 'deleting'
  | 'migrating'
  | 'rebuilding'
  | 'unknown';

export interface CloudServer {
  id: number;
  name: string;
  status: ServerStatus;
  labels: Record<string, string>;
  ipv4: string | null;
  /** The server type's name (`cx22`), when the API said: a restore asks for it again. */
  serverType?: string;
  /** The location's name (`fsn1`), when the API said: a restore puts the server back there. */
  location?: string;
}

export type CloudActionCommand = 'shutdown' | 'poweroff' | 'poweron' | 'delete_server' | string;

export interface CloudAction {
  id: number;
  command: CloudActionCommand;
  status: 'running' | 'success' | 'error';
  progress: number;
  /** Why an action ended in `error`; `retryable` says whether sending the command again may succeed. */
  error: { code: string; message: string; retryable: boolean } | null;
}

/**
 * Which servers to list, by label: a string value must be equal (`k==v`), a list of values
 * means any one of them (`k in (a,b)`). Every entry must hold.
 */
export type LabelMatch = Record<string, string | readonly string[]>;

export type CloudImageStatus = 'creating' | 'available' | 'unavailable';

/** A snapshot of a server's disk. */
export interface CloudImage {
  id: number;
  status: CloudImageStatus;
  /** GB the snapshot is billed by; null until the API knows (while it is created). */
  sizeGb: number | null;
  labels: Record<string, string>;
  /** The server it was taken from, when the API said. */
  createdFrom: { id: number; name: string } | null;
}

export interface SnapshotRequest {
  description: string;
  labels: Record<string, string>;
}

/** A server to create from a snapshot, e.g. to restore an agent where and as it was. */
export interface ServerRequest {
  name: string;
  /** Server type name, e.g. `cx22`. */
  serverType: string;
  /** Location name, e.g. `fsn1`. */
  location: string;
  imageId: number;
  labels: Record<string, string>;
}

/** What the fleet costs, from the API's own prices (gross, in `currency`). */
export interface CloudPrices {
  currency: string;
  /** Monthly price of each server type in each location. */
  serverTypes: Array<{ name: string; location: string; monthlyGross: number }>;
  /** Monthly price of one GB of snapshot. */
  snapshotPerGbMonth: number;
}

/** Hetzner Cloud, as the lifecycle uses it. Errors are @agent-lifecycle/errors classes. */
export interface Cloud {
  /** The server, or null when it does not exist (any more). */
  getServer(serverId: number): Promise<CloudServer | null>;
  /** Servers matching every entry of `labels`, all pages. */
  findServers(labels: LabelMatch): Promise<CloudServer[]>;
  /** ACPI shutdown: the guest may ignore it. */
  shutdown(serverId: number): Promise<CloudAction>;
  powerOff(serverId: number): Promise<CloudAction>;
  powerOn(serverId: number): Promise<CloudAction>;
  /** Deletes the server; null when it was already gone. */
  deleteServer(serverId: number): Promise<CloudAction | null>;
  getAction(actionId: number): Promise<CloudAction>;
  /**
   * Many actions in as few requests as Hetzner allows (`GET /actions?id=…&id=…`, up to 50
   * ids a request). Ids Hetzner does not know are missing from the answer.
   */
  getActions(actionIds: readonly number[]): Promise<CloudAction[]>;
  /** Actions still running on a server (to adopt one a crashed worker issued). */
  runningActions(serverId: number): Promise<CloudAction[]>;
  /**
   * Actions of `command` on the server that started at or after `since` (to the second, as
   * Hetzner records it), in any status, oldest first: what a worker that died between
   * sending a command and recording its id left behind. A server that is gone has none.
   */
  actionsSince(serverId: number, command: CloudActionCommand, since: Date): Promise<CloudAction[]>;
  /** Starts a snapshot of the server's disk: the image (`creating` until the action ends) and the action. */
  createSnapshot(serverId: number, snapshot: SnapshotRequest): Promise<{ imageId: number; action: CloudAction }>;
  /** The image, or null when it does not exist (any more). */
  getImage(imageId: number): Promise<CloudImage | null>;
  /** Snapshots carrying every entry of `labels`, all pages. */
  findImages(labels: LabelMatch): Promise<CloudImage[]>;
  /** Deletes a snapshot; 'already_gone' when it did not exist. */
  deleteImage(imageId: number): Promise<'deleted' | 'already_gone'>;
  /** Creates (and starts) a server from an image: the server as created and its create action. */
  createServer(server: ServerRequest): Promise<{ server: CloudServer; action: CloudAction }>;
  /** Today's prices of server types per location and of snapshots. */
  prices(): Promise<CloudPrices>;
}

export interface TailnetDevice {
  id: string;
  hostname: string;
  name: string;
}

/** Tailscale, as the lifecycle uses it. */
export interface Tailnet {
  listDevices(): Promise<TailnetDevice[]>;
  findDevicesByHostname(hostname: string): Promise<TailnetDevice[]>;
  /** Removes the device; 'already_gone' when it did not exist. */
  removeDevice(deviceId: string): Promise<'removed' | 'already_gone'>;
}

export interface ProvisioningRequest {
  jobId: string;
  agentId: string;
  callbackUrl: string;
}

/** The GitHub Actions workflow that creates an agent's server and device. */
export interface Workflows {
  dispatchProvisioning(request: ProvisioningRequest): Promise<void>;
}

export interface Clock {
  now(): Date;
  sleep(ms: number): Promise<void>;
}

export const systemClock: Clock = {
  now: () => new Date(),
  sleep: (ms) => new Promise((resolve) => setTimeout(resolve, ms)),
};
