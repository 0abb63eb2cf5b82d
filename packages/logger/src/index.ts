// Structured logs for every process: pino, JSON in production and pretty in a terminal,
// with credentials, tokens and signatures redacted wherever they appear.
import pino, { type Logger, type LoggerOptions } from 'pino';

export type { Logger } from 'pino';

/** Paths pino blanks out; `*` covers one level of nesting (e.g. `req.headers`). */
export const REDACTED_PATHS = [
  'authorization',
  'password',
  'token',
  'secret',
  'apiKey',
  'signature',
  '*.authorization',
  '*.password',
  '*.token',
  '*.secret',
  '*.apiKey',
  '*.signature',
  '*.clientSecret',
  '*.webhookSecret',
  '*.callbackSecret',
  'req.headers.authorization',
  'req.headers.cookie',
  'req.headers["stripe-signature"]',
  'req.headers["x-hub-signature-256"]',
  'headers.authorization',
  'headers["stripe-signature"]',
  'headers["x-hub-signature-256"]',
];

export interface LoggerSettings {
  level?: string;
  /** Pretty output for people; JSON (the default when not a terminal) for machines. */
  pretty?: boolean;
  /** Where lines go; tests pass a stream to read them back. */
  destination?: pino.DestinationStream;
}

export function createLogger(name: string, settings: LoggerSettings = {}): Logger {
  const options: LoggerOptions = {
    name,
    level: settings.level ?? 'info',
    redact: { paths: REDACTED_PATHS, censor: '[redacted]' },
    base: { pid: process.pid },
    timestamp: pino.stdTimeFunctions.isoTime,
  };
  if (settings.destination) return pino(options, settings.destination);
  const pretty = settings.pretty ?? Boolean(process.stdout.isTTY);
  if (pretty) {
    return pino({
      ...options,
      transport: { target: 'pino-pretty', options: { colorize: true, translateTime: 'HH:MM:ss.l', ignore: 'pid,hostname' } },
    });
  }
  return pino(options);
}
