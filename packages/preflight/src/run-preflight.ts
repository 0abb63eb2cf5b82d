// Before the first job: does each cloud accept what the configuration holds? Read-only
// calls per cloud (Hetzner token; Tailscale credentials and their scope; GitHub token,
// workflow and ref), gathered into one report for the worker's start and `agentctl doctor`.
import type { Config } from '@agent-lifecycle/config';
import { checkGithubAccess } from '@agent-lifecycle/github';
import { checkHetznerAccess } from '@agent-lifecycle/hetzner';
import { checkTailscaleAccess } from '@agent-lifecycle/tailscale';

export type PreflightCloud = 'hetzner' | 'tailscale' | 'github';

export interface PreflightCheck {
  cloud: PreflightCloud;
  /** What was checked, e.g. `token`, `scope devices:core`, `workflow`. */
  check: string;
  ok: boolean;
  detail: string;
}

export interface PreflightReport {
  ok: boolean;
  /** Where each cloud was reached, and with which setting, for the reader of a failure. */
  targets: Record<PreflightCloud, string>;
  checks: PreflightCheck[];
}

export interface PreflightOptions {
  /** Per request (default 10 s). */
  timeoutMs?: number;
}

export type PreflightConfig = Pick<Config, 'hetzner' | 'tailscale' | 'github'>;

const CLOUD_NAMES: Record<PreflightCloud, string> = { hetzner: 'Hetzner', tailscale: 'Tailscale', github: 'GitHub' };

export async function runPreflight(config: PreflightConfig, { timeoutMs }: PreflightOptions = {}): Promise<PreflightReport> {
  const { hetzner, tailscale, github } = config;
  const [hetznerFindings, tailscaleFindings, githubFindings] = await Promise.all([
    checkHetznerAccess({ token: hetzner.token, endpoint: hetzner.endpoint, timeoutMs }),
    checkTailscaleAccess({ apiUrl: tailscale.apiUrl, tailnet: tailscale.tailnet, apiKey: tailscale.apiKey, oauth: tailscale.oauth, timeoutMs }),
    checkGithubAccess({ apiUrl: github.apiUrl, token: github.token, repo: github.repo, workflow: github.workflow, timeoutMs }),
  ]);
  const checks: PreflightCheck[] = [
    ...hetznerFindings.map((finding) => ({ cloud: 'hetzner' as const, ...finding })),
    ...tailscaleFindings.map((finding) => ({ cloud: 'tailscale' as const, ...finding })),
    ...githubFindings.map((finding) => ({ cloud: 'github' as const, ...finding })),
  ];
  return {
    ok: checks.every((check) => check.ok),
    targets: {
      hetzner: `HCLOUD_TOKEN at ${hetzner.endpoint}`,
      tailscale: `${tailscale.apiKey ? 'TAILSCALE_API_KEY' : 'TAILSCALE_OAUTH_CLIENT_ID/_SECRET'} for tailnet ${tailscale.tailnet} at ${tailscale.apiUrl}`,
      github: `GITHUB_TOKEN for ${github.repo} (${github.workflow}) at ${github.apiUrl}`,
    },
    checks,
  };
}

/** The one line a failed preflight stops with: every failed check, with the setting it concerns. */
export function preflightFailureLine(report: PreflightReport): string {
  const failed = report.checks.filter((check) => !check.ok);
  const problems = failed.map((check) => `${CLOUD_NAMES[check.cloud]} ${check.check} (${report.targets[check.cloud]}): ${check.detail}`);
  return `Preflight failed: ${problems.join('; ')}`;
}

export function cloudName(cloud: PreflightCloud): string {
  return CLOUD_NAMES[cloud];
}
