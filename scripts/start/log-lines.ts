// Turns a child's output into readable lines with its name in front: pino's JSON lines
// are pretty-printed here (children log JSON when piped), anything else passes as is.
import { prettyFactory } from 'pino-pretty';

const COLORS = ['\u001b[36m', '\u001b[35m', '\u001b[33m', '\u001b[32m', '\u001b[34m', '\u001b[91m'];
const RESET = '\u001b[0m';

export interface LineWriter {
  /** Writes one complete line (without its newline) from the named source. */
  (source: string, line: string): void;
}

export function createLineWriter(out: NodeJS.WritableStream, colorize: boolean): LineWriter {
  const pretty = prettyFactory({ colorize, singleLine: true, translateTime: 'HH:MM:ss.l', ignore: 'pid,hostname,name' });
  const colorOf = new Map<string, string>();
  const tag = (source: string) => {
    if (!colorize) return `[${source}]`;
    if (!colorOf.has(source)) colorOf.set(source, COLORS[colorOf.size % COLORS.length] ?? '');
    return `${colorOf.get(source) ?? ''}[${source}]${RESET}`;
  };
  return (source, line) => {
    let text = line;
    if (line.startsWith('{')) {
      try {
        text = pretty(JSON.parse(line) as object).replace(/\n$/, '');
      } catch {
        // Not JSON after all: print it unchanged.
      }
    }
    out.write(`${tag(source)} ${text}\n`);
  };
}

/** Splits a stream into lines and hands each to `onLine`; a last unterminated line is flushed at the end. */
export function forEachLine(stream: NodeJS.ReadableStream, onLine: (line: string) => void): void {
  let buffered = '';
  stream.setEncoding('utf8');
  stream.on('data', (chunk: string) => {
    buffered += chunk;
    let newline = buffered.indexOf('\n');
    while (newline !== -1) {
      onLine(buffered.slice(0, newline).replace(/\r$/, ''));
      buffered = buffered.slice(newline + 1);
      newline = buffered.indexOf('\n');
    }
  });
  stream.on('end', () => {
    if (buffered !== '') onLine(buffered);
    buffered = '';
  });
}
