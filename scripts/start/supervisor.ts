// Runs the product's processes as children of `npm start`: each in its own process group
// (so a terminal's Ctrl-C reaches them once, through us), logs prefixed with its name, a
// stop that signals, waits and then kills, and a callback when one dies on its own.
import { spawn, type ChildProcess } from 'node:child_process';
import { forEachLine, type LineWriter } from './log-lines';

export type ChildRole = 'app' | 'service';

export interface ChildSpec {
  name: string;
  command: string;
  args: string[];
  env: Record<string, string>;
  cwd: string;
  /** Apps stop first; services (a private Redis or PostgreSQL) after them. */
  role: ChildRole;
  /** Signal that stops it gracefully; apps get the signal `npm start` received. */
  stopSignal?: NodeJS.Signals;
}

export interface Supervised {
  spec: ChildSpec;
  pid: number;
  process: ChildProcess;
  exited: Promise<{ code: number | null; signal: NodeJS.Signals | null }>;
  running: boolean;
}

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

/** Whether any process of the group still exists. */
function groupAlive(pgid: number): boolean {
  try {
    process.kill(-pgid, 0);
    return true;
  } catch (error) {
    return (error as NodeJS.ErrnoException).code === 'EPERM';
  }
}

function signalGroup(pgid: number, signal: NodeJS.Signals): void {
  try {
    process.kill(-pgid, signal);
  } catch {
    // Already gone.
  }
}

async function groupGone(pgid: number, deadline: number): Promise<boolean> {
  while (Date.now() < deadline) {
    if (!groupAlive(pgid)) return true;
    await sleep(50);
  }
  return !groupAlive(pgid);
}

export class Supervisor {
  private readonly children: Supervised[] = [];
  private stopping = false;

  constructor(
    private readonly write: LineWriter,
    private readonly onUnexpectedExit: (child: Supervised, code: number | null, signal: NodeJS.Signals | null) => void,
  ) {}

  get isStopping(): boolean {
    return this.stopping;
  }

  spawn(spec: ChildSpec): Supervised {
    const child = spawn(spec.command, spec.args, { cwd: spec.cwd, env: spec.env, detached: true, stdio: ['ignore', 'pipe', 'pipe'] });
    if (child.pid === undefined) throw new Error(`could not start ${spec.name} (${spec.command})`);
    const exited = new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((resolve) => {
      child.once('exit', (code, signal) => resolve({ code, signal }));
      child.once('error', (error) => {
        this.write('start', `${spec.name} failed to start: ${error.message}`);
        resolve({ code: 127, signal: null });
      });
    });
    const supervised: Supervised = { spec, pid: child.pid, process: child, exited, running: true };
    if (child.stdout) forEachLine(child.stdout, (line) => this.write(spec.name, line));
    if (child.stderr) forEachLine(child.stderr, (line) => this.write(spec.name, line));
    void exited.then(({ code, signal }) => {
      supervised.running = false;
      if (!this.stopping) this.onUnexpectedExit(supervised, code, signal);
    });
    this.children.push(supervised);
    return supervised;
  }

  /** Process ids by name, for operators and tests that check nothing is left behind. */
  pids(): Record<string, number> {
    return Object.fromEntries(this.children.map((child) => [child.spec.name, child.pid]));
  }

  /**
   * Stops every child: apps first (with `signal`), then services, each group given until
   * its share of the deadline to exit before SIGKILL. Resolves when no child process is left.
   */
  async stopAll(signal: NodeJS.Signals, deadlineMs: number): Promise<void> {
    this.stopping = true;
    const started = Date.now();
    const apps = this.children.filter((child) => child.spec.role === 'app');
    const services = this.children.filter((child) => child.spec.role === 'service');
    // Services get the last part of the budget, apps the rest.
    const serviceShare = services.length > 0 ? Math.min(3_000, deadlineMs / 3) : 0;
    await this.stopGroup(apps, signal, started + deadlineMs - serviceShare);
    await this.stopGroup(services, 'SIGTERM', started + deadlineMs);
  }

  private async stopGroup(children: Supervised[], signal: NodeJS.Signals, deadline: number): Promise<void> {
    for (const child of children) signalGroup(child.pid, child.spec.stopSignal ?? signal);
    const gone = await Promise.all(children.map((child) => groupGone(child.pid, deadline - 300)));
    children.forEach((child, index) => {
      if (gone[index]) return;
      this.write('start', `${child.spec.name} did not stop in time; killing it`);
      signalGroup(child.pid, 'SIGKILL');
    });
    await Promise.all(children.map((child) => groupGone(child.pid, Date.now() + 1_000)));
  }
}
