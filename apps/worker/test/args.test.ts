import path from 'node:path';
import { runProcess } from '@agent-lifecycle/testing';
import { parseWorkerArgs, WorkerUsageError } from '../src/args';

const ROOT = path.resolve(__dirname, '../../..');
// No Redis or database is reachable here: a worker that started anyway would fail loudly.
const env = { PATH: process.env.PATH ?? '', HOME: process.env.HOME ?? '/tmp', DATABASE_URL: 'postgresql://nobody@127.0.0.1:1/none', REDIS_URL: 'redis://127.0.0.1:1', LOG_LEVEL: 'silent' };
const worker = (args: string[]) => runProcess('npm', ['run', '-s', 'worker', '--', ...args], { cwd: ROOT, env });
const usageLine = (argv: string[]) => {
  try {
    parseWorkerArgs(argv);
  } catch (error) {
    if (error instanceof WorkerUsageError) return error.message;
  }
  return 'accepted';
};

describe('the worker command line', () => {
  it('serves every queue when none is named, and exactly the named ones otherwise', () => {
    expect(parseWorkerArgs([])).toEqual({ help: false, queues: ['hetzner', 'tailscale', 'github', 'maintenance'] });
    expect(parseWorkerArgs(['--queues', 'tailscale, github'])).toEqual({ help: false, queues: ['tailscale', 'github'] });
    expect(parseWorkerArgs(['--queues=hetzner,hetzner'])).toEqual({ help: false, queues: ['hetzner'] });
  });

  it.each([
    [['--queue', 'hetzner'], "worker: Unknown option '--queue' (see --help)"],
    [['--queues', 'hetzner,bogus,other'], 'worker: unknown queues bogus, other; choose from hetzner, tailscale, github, maintenance'],
    [['--queues', ','], 'worker: --queues names no queue; choose from hetzner, tailscale, github, maintenance'],
    [['--queues'], "worker: Option '--queues <value>' argument missing (see --help)"],
    [['hetzner'], 'worker: unexpected argument "hetzner" (see --help)'],
  ])('refuses %j with one line', (argv, line) => {
    expect(usageLine(argv)).toBe(line);
  });

  it('prints its usage and exits 0 on --help, starting nothing', async () => {
    const { code, stdout, stderr } = await worker(['--help']);
    expect({ code, stderr }).toEqual({ code: 0, stderr: '' });
    expect(stdout).toMatch(/^Usage: npm run worker -- \[--queues NAME\[,NAME\.\.\.\]\]$/m);
    expect(stdout).toContain('hetzner, tailscale, github, maintenance');
  });

  it('exits 2 with one line for an unknown flag or queue, before reading any configuration', async () => {
    const [flag, queue] = await Promise.all([worker(['--queus', 'hetzner']), worker(['--queues', 'hetzner,billing'])]);
    expect(flag).toEqual({ code: 2, stdout: '', stderr: "worker: Unknown option '--queus' (see --help)\n" });
    expect(queue).toEqual({ code: 2, stdout: '', stderr: 'worker: unknown queue billing; choose from hetzner, tailscale, github, maintenance\n' });
  });
});
