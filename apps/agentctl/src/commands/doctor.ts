// `agentctl doctor`: the worker's start-up preflight on demand. Read-only calls check that
// Hetzner, Tailscale and GitHub accept the configured credentials and scopes, shown as a
// table (or JSON); any failed check makes it exit 1 with one line saying what is wrong.
import type { Config } from '@agent-lifecycle/config';
import { cloudName, preflightFailureLine, runPreflight, type PreflightReport } from '@agent-lifecycle/preflight';
import { CommandFailed } from '../cli-errors';
import { createCliContext } from '../context';
import { table } from '../output';

export const DOCTOR_SUMMARY = "check each cloud's credentials and scopes with read-only calls";

export const DOCTOR_HELP = [
  'Usage: agentctl doctor [--json]',
  '',
  `${DOCTOR_SUMMARY[0]?.toUpperCase()}${DOCTOR_SUMMARY.slice(1)}: the Hetzner token,`,
  'the Tailscale API key or OAuth client (and its devices:core scope), the GitHub token,',
  'workflow and ref; the same checks a worker runs when it starts with real credentials.',
  'In the sandbox they run against the simulator. Exit code 1 when a check fails.',
  '',
  '  --json  print JSON on stdout instead of a table',
].join('\n');

export interface DoctorResult {
  ok: boolean;
  /** What `--json` prints. */
  json: { ok: boolean; mode: Config['mode']; targets: PreflightReport['targets']; checks: PreflightReport['checks'] };
  /** The table people read. */
  text: string;
  /** The one line for stderr when a check failed. */
  failure: string | null;
}

export async function runDoctor(config: Pick<Config, 'mode' | 'hetzner' | 'tailscale' | 'github'>, options: { timeoutMs?: number } = {}): Promise<DoctorResult> {
  const report = await runPreflight(config, options);
  const rows = report.checks.map((check) => [cloudName(check.cloud), check.check, check.ok ? 'ok' : 'FAILED', check.detail]);
  const where = (['hetzner', 'tailscale', 'github'] as const).map((cloud) => `  ${cloudName(cloud).padEnd(9)}  ${report.targets[cloud]}`);
  const text = [table(['CLOUD', 'CHECK', 'RESULT', 'DETAIL'], rows), '', `Checked (${config.mode} mode):`, ...where].join('\n');
  return {
    ok: report.ok,
    json: { ok: report.ok, mode: config.mode, targets: report.targets, checks: report.checks },
    text,
    failure: report.ok ? null : `agentctl doctor: ${preflightFailureLine(report)}`,
  };
}

/**
 * The command line's side of `agentctl doctor` (it takes no arguments): prints the report,
 * and the failure line on stderr; answers the exit code.
 */
export async function doctorCommand(
  extra: string[],
  flags: { help: boolean; json: boolean },
  io: { stdout(text: string): void; stderr(text: string): void },
  rootDir: string,
): Promise<number> {
  if (flags.help) {
    io.stdout(`${DOCTOR_HELP}\n`);
    return 0;
  }
  if (extra.length > 0) {
    io.stderr(`agentctl doctor: unexpected argument "${extra[0]}" (agentctl doctor [--json])\n`);
    return 2;
  }
  let config: Config;
  try {
    config = createCliContext(rootDir).config();
  } catch (error) {
    if (!(error instanceof CommandFailed)) throw error;
    io.stderr(`${error.message}\n`);
    return error.exitCode;
  }
  const result = await runDoctor(config);
  io.stdout(flags.json ? `${JSON.stringify(result.json, null, 2)}\n` : `${result.text}\n`);
  if (result.failure) io.stderr(`${result.failure}\n`);
  return result.ok ? 0 : 1;
}
