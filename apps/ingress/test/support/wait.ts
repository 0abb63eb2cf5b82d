// Polling for eventual outcomes (workers and the simulator run asynchronously).
export async function waitFor<T>(read: () => Promise<T>, done: (value: T) => boolean, timeoutMs = 15_000, what = 'condition'): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = await read();
    if (done(value)) return value;
    if (Date.now() > deadline) {
      throw new Error(`timed out waiting for ${what}: ${JSON.stringify(value, (_key, item: unknown) => (typeof item === 'bigint' ? Number(item) : item))}`);
    }
    await new Promise((resolve) => setTimeout(resolve, 25));
  }
}
