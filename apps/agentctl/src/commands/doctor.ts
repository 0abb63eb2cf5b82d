// `agentctl doctor`: the worker's start-up preflight on demand. Read-only calls check that
// Hetzner, Tailscale and GitHub accept the configured credentials and scopes, shown as a
// table (or JSON); any failed check makes it exit 1 with one line saying what is wrong.
import type { Config } from '@agent-lifecycle/config';
import { cloudName, preflightFailureLine, runPreflight, type PreflightReport } from '@agent-lifecycle/preflight';
import type { CommandOutput, CommandSpec } from '../args';
import type { CliContext } from '../context';
import { table } from '../output';

export interface DoctorJson {
  ok: boolean;
  mode: Config['mode'];
  /** Where each cloud was reached, and with which setting. */
  targets: PreflightReport['targets'];
  checks: PreflightReport['checks'];
}

/** Runs every check with `config`: the report as JSON and as a table, and the failure line when one failed. */
export async function runDoctor(config: Pick<Config, 'mode' | 'hetzner' | 'tailscale' | 'github'>, options: { timeoutMs?: number } = {}): Promise<CommandOutput & { json: DoctorJson }> {
  const report = await runPreflight(config, options);
  const rows = report.checks.map((check) => [cloudName(check.cloud), check.check, check.ok ? 'ok' : 'FAILED', check.detail]);
  const where = (['hetzner', 'tailscale', 'github'] as const).map((cloud) => `  ${cloudName(cloud).padEnd(9)}  ${report.targets[cloud]}`);
  return {
    json: { ok: report.ok, mode: config.mode, targets: report.targets, checks: report.checks },
    text: [table(['CLOUD', 'CHECK', 'RESULT', 'DETAIL'], rows), '', `Checked (${config.mode} mode):`, ...where].join('\n'),
    ...(report.ok ? {} : { failure: `agentctl doctor: ${preflightFailureLine(report)}` }),
  };
}

export const doctorCommands: CommandSpec<CliContext>[] = [
  {
    group: 'doctor',
    verb: '',
    summary: "check each cloud's credentials and scopes with read-only calls",
    positionals: [],
    options: {},
    notes: [
      'The Hetzner token; the Tailscale API key or OAuth client and its devices:core scope;',
      'the GitHub token (write access), workflow and ref: the checks a worker runs when it',
      'starts with real credentials. In the sandbox they run against the simulator.',
      'Exit code 1, and one line on stderr naming what is wrong, when a check fails.',
    ],
    run: (context) => runDoctor(context.config()),
  },
];
