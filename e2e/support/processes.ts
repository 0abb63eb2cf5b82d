// What the end-to-end tests need to run the product as an operator does: free ports,
// shell commands with an environment, polling, and checks that no process is left.
import { execFile } from 'node:child_process';
import { createServer } from 'node:net';
import path from 'node:path';
import { promisify } from 'node:util';
import { runProcess, type ProcessResult } from '@agent-lifecycle/testing';

export const ROOT = path.resolve(__dirname, '../..');
const exec = promisify(execFile);

export const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

/** A port the system just handed out and released, so nothing listens on it. */
export async function freePort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const address = server.address();
  await new Promise((resolve) => server.close(resolve));
  if (address === null || typeof address === 'string') throw new Error('no port');
  return address.port;
}

/** Whether the port can be listened on again (nothing holds it). */
export async function portFree(port: number): Promise<boolean> {
  const server = createServer();
  return new Promise((resolve) => {
    server.once('error', () => resolve(false));
    server.listen(port, '127.0.0.1', () => server.close(() => resolve(true)));
  });
}

export type ShellResult = ProcessResult;

/** Runs a command line with bash in the repository root, as a reader of the README would. */
export function sh(command: string, env: Record<string, string>): Promise<ShellResult> {
  return runProcess('bash', ['-c', command], { cwd: ROOT, env });
}

/** Polls `check` until it returns a value (not undefined) or the time is up. */
export async function eventually<T>(what: string, timeoutMs: number, check: () => Promise<T | undefined>): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  let last: unknown;
  for (;;) {
    try {
      const value = await check();
      if (value !== undefined) return value;
    } catch (error) {
      last = error;
    }
    if (Date.now() > deadline) throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}${last ? ` (last error: ${String(last)})` : ''}`);
    await sleep(300);
  }
}

/** Every live process (not zombies) of the given process groups, as `ps` shows them. */
export async function processesInGroups(pgids: number[]): Promise<string[]> {
  const { stdout } = await exec('ps', ['-eo', 'pid=,pgid=,stat=,args=']);
  const wanted = new Set(pgids);
  return stdout
    .split('\n')
    .map((line) => line.trim())
    .filter((line) => {
      const [, pgid, stat] = line.split(/\s+/);
      return pgid !== undefined && wanted.has(Number(pgid)) && !stat?.startsWith('Z');
    });
}

/** Those of `pids` still running (a zombie waiting to be reaped has stopped running). */
export async function runningPids(pids: number[]): Promise<number[]> {
  const { stdout } = await exec('ps', ['-eo', 'pid=,stat=']);
  const running = new Set(
    stdout
      .split('\n')
      .map((line) => line.trim().split(/\s+/))
      .filter(([, stat]) => stat !== undefined && !stat.startsWith('Z'))
      .map(([pid]) => Number(pid)),
  );
  return pids.filter((pid) => running.has(pid));
}
