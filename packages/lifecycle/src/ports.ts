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
  error: { code: string; message: string } | null;
}

/** Hetzner Cloud, as the lifecycle uses it. Errors are @agent-lifecycle/errors classes. */
export interface Cloud {
  /** The server, or null when it does not exist (any more). */
  getServer(serverId: number): Promise<CloudServer | null>;
  /** Servers carrying every one of the given labels. */
  findServers(labels: Record<string, string>): Promise<CloudServer[]>;
  /** ACPI shutdown: the guest may ignore it. */
  shutdown(serverId: number): Promise<CloudAction>;
  powerOff(serverId: number): Promise<CloudAction>;
  powerOn(serverId: number): Promise<CloudAction>;
  /** Deletes the server; null when it was already gone. */
  deleteServer(serverId: number): Promise<CloudAction | null>;
  getAction(actionId: number): Promise<CloudAction>;
  /** Actions still running on a server (to adopt one a crashed worker issued). */
  runningActions(serverId: number): Promise<CloudAction[]>;
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
