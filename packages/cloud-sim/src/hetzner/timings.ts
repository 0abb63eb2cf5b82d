// How long things take on the simulated Hetzner, in simulated milliseconds (the clock's
// time scale shrinks them); close to what a small cloud server shows in practice.

export const timings = {
  /** create_server (and the start_server next action): initializing → running. */
  createServer: 10_000,
  /** poweron: starting → running. */
  powerOn: 5_000,
  /** poweroff: stopping → off. */
  powerOff: 3_000,
  /** shutdown action: the ACPI request reaching the guest. */
  shutdownRequest: 1_000,
  /** A guest honouring ACPI: stopping → off after the request. */
  guestShutdown: 10_000,
  /** reboot: the server stays running while the action runs. */
  reboot: 5_000,
  /** create_image: the snapshot `creating → available`, the server locked meanwhile. */
  createImage: 20_000,
  /** delete_server: the action's run; the server is gone at once. */
  deleteServer: 3_000,
  /** An action that has nothing to change (e.g. poweron on a running server). */
  noOp: 500,
} as const;
