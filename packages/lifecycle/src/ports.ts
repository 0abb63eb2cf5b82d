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
