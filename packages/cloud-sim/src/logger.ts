// The logging surface the simulator needs: a pino logger fits it, and tests may pass
// nothing, which gets a logger that discards every line.

export type SimLogFn = (details: Record<string, unknown>, message: string) => void;

export interface SimLogger {
  debug: SimLogFn;
  info: SimLogFn;
  warn: SimLogFn;
  error: SimLogFn;
}

const discard: SimLogFn = () => undefined;

export const silentLogger: SimLogger = { debug: discard, info: discard, warn: discard, error: discard };
