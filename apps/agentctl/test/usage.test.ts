import { readFileSync } from 'node:fs';
import path from 'node:path';
import { buildProgram, runAgentctl } from '../src';
import { usageOf, type CommandSpec } from '../src/args';
import { runProcess } from '@agent-lifecycle/testing';
import { agentctl, cliEnvironment, linesOf, ROOT, type CliResult } from './support/run-cli';

// Usage errors never reach a database: these run with none configured. A few go through
// a real process (exit codes, the bin shim, npm); the rest call the same CLI in-process.
const env = cliEnvironment({ DATABASE_URL: 'postgresql://nobody@127.0.0.1:1/none' });

async function inProcess(args: string[]): Promise<CliResult> {
  let stdout = '';
  let stderr = '';
  const code = await runAgentctl(args, { stdout: (text) => (stdout += text), stderr: (text) => (stderr += text) }, ROOT);
  return { code, stdout, stderr };
}

describe('agentctl usage', () => {
  const results: Record<string, CliResult> = {};

  beforeAll(async () => {
    const runs: Record<string, Promise<CliResult>> = {
      help: agentctl(['--help'], env),
      version: agentctl(['--version'], env),
      commandHelp: inProcess(['operation', 'show', '--help']),
      groupHelp: inProcess(['help', 'stripe']),
      none: inProcess([]),
      unknownCommand: agentctl(['frobnicate'], env),
      unknownSubcommand: inProcess(['agent', 'delete', 'x']),
      missingEmail: inProcess(['user', 'create', '--stripe-customer', 'cus_1']),
      badEmail: inProcess(['user', 'token', '--email', 'not-an-email']),
      unknownOption: inProcess(['agent', 'list', '--colour', 'red']),
      badStatus: inProcess(['operation', 'list', '--status', 'done']),
      missingId: inProcess(['agent', 'show', '--json']),
      extraArgument: inProcess(['operation', 'show', 'a', 'b']),
      unknownQueue: inProcess(['queue', 'pause', 'billing']),
      missingValue: inProcess(['user', 'token', '--email']),
      bin: runProcess(process.execPath, [`${ROOT}/apps/agentctl/bin/agentctl.js`, 'user', '--help'], { cwd: ROOT, env }),
      npmRun: runProcess('npm', ['run', '-s', 'agentctl', '--', 'agent', 'list', '--status', 'nope', '--json'], { cwd: ROOT, env }),
    };
    const settled = await Promise.all(Object.entries(runs).map(async ([name, run]) => [name, await run] as const));
    for (const [name, result] of settled) results[name] = result;
  });

  const result = (name: string): CliResult => {
    const found = results[name];
    if (!found) throw new Error(`no run named ${name}`);
    return found;
  };

  it('prints help listing every command, and exits 0', () => {
    const { code, stdout, stderr } = result('help');
    expect(code).toBe(0);
    expect(stderr).toBe('');
    for (const command of [
      'user create --email',
      'user token',
      'user list',
      'agent list',
      'agent show ID',
      'agent stop ID',
      'agent start ID',
      'agent destroy ID',
      'operation list',
      'operation show ID',
      'operation retry ID',
      'queue stats',
      'queue pause NAME',
      'queue resume NAME',
      'stripe send TYPE --customer',
    ]) {
      expect(stdout).toContain(command);
    }
    expect(stdout).toContain('--json');
  });

  it('prints its version on --version, and exits 0', () => {
    const { version } = JSON.parse(readFileSync(path.join(ROOT, 'apps/agentctl/package.json'), 'utf8')) as { version: string };
    expect(result('version')).toEqual({ code: 0, stdout: `agentctl ${version}\n`, stderr: '' });
  });

  it('prints the help of one command or of a group', () => {
    expect(result('commandHelp').code).toBe(0);
    expect(result('commandHelp').stdout).toMatch(/^Usage: agentctl operation show ID \[--json\]/);
    expect(result('groupHelp').code).toBe(0);
    expect(result('groupHelp').stdout).toContain('customer.subscription.deleted');
  });

  it.each([
    ['none', 'agentctl: missing command (see agentctl --help)'],
    ['unknownCommand', 'agentctl: unknown command "frobnicate" (commands: user, agent, operation, queue, stripe, doctor; see agentctl --help)'],
    ['unknownSubcommand', 'agentctl agent: unknown subcommand "delete" (one of list, show, stop, start, destroy)'],
    ['missingEmail', "agentctl user create: required option '--email <EMAIL>' not specified"],
    ['badEmail', 'agentctl user token: --email must be an email address (got "not-an-email")'],
    ['unknownOption', "agentctl agent list: unknown option '--colour'"],
    ['badStatus', "agentctl operation list: option '--status <STATUS>' argument 'done' is invalid. Allowed choices are queued, running, succeeded, failed, skipped, superseded"],
    ['missingId', "agentctl agent show: missing required argument 'ID'"],
    ['extraArgument', "agentctl operation show: too many arguments for 'show'. Expected 1 argument but got 2"],
    ['unknownQueue', "agentctl queue pause: command-argument value 'billing' is invalid for argument 'NAME'. Allowed choices are hetzner, tailscale, github, maintenance"],
    ['missingValue', "agentctl user token: option '--email <EMAIL>' argument missing"],
  ])('answers a usage mistake (%s) with exit code 2 and one line on stderr', (name, line) => {
    const { code, stdout, stderr } = result(name);
    expect(code).toBe(2);
    expect(stdout).toBe('');
    expect(linesOf(stderr)).toEqual([line]);
  });

  it('runs as the installed bin through its tsx shim', () => {
    expect(result('bin').code).toBe(0);
    expect(result('bin').stdout).toContain('Usage: agentctl user create --email EMAIL');
  });

  it('adds nothing of npm to the output under `npm run -s`', () => {
    const { code, stdout, stderr } = result('npmRun');
    expect(code).toBe(2);
    expect(stdout).toBe('');
    expect(linesOf(stderr)).toEqual([
      "agentctl agent list: option '--status <STATUS>' argument 'nope' is invalid. Allowed choices are provisioning, active, paused, suspended, destroying, destroyed, failed",
    ]);
  });
});

describe('commands of one word', () => {
  it('run with their own options and usage errors, next to the grouped ones', async () => {
    const runs: { args: Record<string, string | undefined> }[] = [];
    const spec: CommandSpec<undefined> = {
      group: 'doctor',
      verb: '',
      summary: 'check each cloud',
      positionals: [],
      options: { only: { value: 'CLOUD', description: 'one cloud', choices: ['hetzner', 'tailscale'] } },
      run: () => Promise.resolve({ json: {}, text: '' }),
    };
    let stderr = '';
    const io = { stdout: () => undefined, stderr: (text: string) => (stderr += text) };
    const parse = (argv: string[]) =>
      buildProgram<undefined>(io, async (_spec, args) => void runs.push({ args: args.options }), [spec], []).parseAsync(argv, { from: 'user' });

    await parse(['doctor', '--only', 'hetzner']);
    expect(runs).toEqual([{ args: { only: 'hetzner' } }]);
    await expect(parse(['doctor', '--only', 'github'])).rejects.toThrow(
      "agentctl doctor: option '--only <CLOUD>' argument 'github' is invalid. Allowed choices are hetzner, tailscale",
    );
    expect(usageOf(spec)).toBe('agentctl doctor [--only CLOUD] [--json]');
    expect(stderr).toBe('');
  });
});
