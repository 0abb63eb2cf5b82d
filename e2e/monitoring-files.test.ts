// The dashboard and alert rules of deploy/ are checked as CI would: promtool checks and
// unit-tests the rules and the Prometheus configuration, and every metric the dashboard or
// an alert reads must be in the metric contract that docs/operations.md lists.
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { parse, stringify } from 'yaml';
import { runProcess } from '@agent-lifecycle/testing';
import { ROOT } from './support/processes';

const read = (file: string) => readFileSync(path.join(ROOT, file), 'utf8');
const env = { PATH: process.env.PATH ?? '', HOME: process.env.HOME ?? '/tmp' };
const promtool = (args: string[], cwd = ROOT) => runProcess('promtool', args, { cwd, env });

interface Panel {
  type: string;
  title: string;
  datasource?: { uid: string };
  targets?: { expr: string; refId: string }[];
  panels?: Panel[];
}
interface RuleFile {
  groups: { name: string; rules: { alert?: string; record?: string; expr: string; annotations?: Record<string, string> }[] }[];
}

/** The metric names of the contract: the first column of the table under "## Metrics". */
function contractMetrics(): Set<string> {
  const doc = read('docs/operations.md');
  const section = doc.slice(doc.indexOf('\n## Metrics\n'), doc.indexOf('\n## ', doc.indexOf('\n## Metrics\n') + 1));
  return new Set([...section.matchAll(/^\| `([a-z_:]+)` \|/gm)].map((match) => match[1] ?? ''));
}

const KEYWORDS = new Set(['and', 'or', 'unless', 'bool', 'offset', 'by', 'without', 'on', 'ignoring', 'group_left', 'group_right', 'inf', 'nan']);

/** The metric names a PromQL expression reads (strings, label matchers, groupings and ranges set aside). */
function metricsIn(expr: string): string[] {
  const bare = expr
    .replace(/"(?:[^"\\]|\\.)*"/g, '""')
    .replace(/\{[^}]*\}/g, ' ')
    .replace(/\b(?:by|without|on|ignoring|group_left|group_right)\s*\([^)]*\)/g, ' ')
    .replace(/\[[^\]]*\]/g, ' ');
  const names = [...bare.matchAll(/(?<![\w.])([a-zA-Z_:][\w:]*)(?![\w:]|\s*\()/g)].map((match) => match[1] ?? '');
  return [...new Set(names.filter((name) => !KEYWORDS.has(name.toLowerCase())))];
}

/** A histogram's series (`_bucket`, `_count`, `_sum`) belong to the histogram's name. */
function contractNameOf(series: string, contract: Set<string>): string {
  const base = series.replace(/_(bucket|count|sum)$/, '');
  return contract.has(series) ? series : base;
}

function panelsOf(panels: Panel[]): Panel[] {
  return panels.flatMap((panel) => [panel, ...panelsOf(panel.panels ?? [])]);
}

describe('dashboards and alerts as files', () => {
  const contract = contractMetrics();
  const dashboard = JSON.parse(read('deploy/grafana/agent-lifecycle.json')) as { uid: string; title: string; panels: Panel[] };
  const queryPanels = panelsOf(dashboard.panels).filter((panel) => panel.type !== 'row');
  const rules = parse(read('deploy/prometheus/alerts.yml')) as RuleFile;
  const alerts = rules.groups.flatMap((group) => group.rules);

  it('reads the metric contract from docs/operations.md', () => {
    expect(contract.size).toBeGreaterThanOrEqual(17);
    for (const name of ['agent_lifecycle_operations_stuck', 'agent_lifecycle_hetzner_rate_limited_total', 'http_request_duration_seconds', 'up']) expect(contract).toContain(name);
  });

  it('finds the metrics an expression reads, and nothing else', () => {
    expect(metricsIn('histogram_quantile(0.99, sum by (le, route) (rate(http_request_duration_seconds_bucket{route!="x"}[5m])))')).toEqual(['http_request_duration_seconds_bucket']);
    expect(metricsIn('max(a_total{kind="destroy"}) > 0 or sum(increase(b_total[15m:1m])) * 60 > 5 and on(queue) up == 0')).toEqual(['a_total', 'b_total', 'up']);
  });

  it('passes promtool check rules', async () => {
    const result = await promtool(['check', 'rules', 'deploy/prometheus/alerts.yml']);
    expect({ code: result.code, stderr: result.stderr }).toEqual({ code: 0, stderr: '' });
    expect(result.stdout).toContain(`SUCCESS: ${alerts.length} rules found`);
  });

  it('fires each alert on the series of its unit test, and stays quiet where it should (promtool test rules)', async () => {
    const result = await promtool(['test', 'rules', 'alerts.test.yml'], path.join(ROOT, 'deploy/prometheus'));
    expect({ code: result.code, stdout: result.stdout.trim().split('\n').at(-1)?.trim() }).toEqual({ code: 0, stdout: 'SUCCESS' });
    const tested = new Set([...read('deploy/prometheus/alerts.test.yml').matchAll(/alertname: (\w+)/g)].map((match) => match[1]));
    expect(alerts.map((alert) => alert.alert).filter((name) => !tested.has(name))).toEqual([]);
  });

  it('has the alerts operators asked for, each with a runbook that exists', () => {
    expect(alerts.map((alert) => alert.alert)).toEqual([
      'AgentLifecycleOperationsStuck',
      'AgentLifecycleDestroyFailing',
      'AgentLifecycleHetznerRateLimitStorm',
      'AgentLifecycleQueueBacklogGrowing',
      'AgentLifecycleWebhookSignatureFailures',
      'AgentLifecycleWorkerDown',
      'AgentLifecycleIngressDown',
    ]);
    const headings = new Set([...read('docs/operations.md').matchAll(/^#{2,4} (.+)$/gm)].map((match) => (match[1] ?? '').toLowerCase().replace(/[^a-z0-9 -]/g, '').replace(/ /g, '-')));
    for (const alert of alerts) {
      const anchor = /docs\/operations\.md#([\w-]+)/.exec(alert.annotations?.description ?? '')?.[1];
      expect([alert.alert, anchor !== undefined && headings.has(anchor)]).toEqual([alert.alert, true]);
    }
  });

  it('scrapes with a configuration promtool accepts, as the jobs the alerts name', async () => {
    const dir = mkdtempSync(path.join(tmpdir(), 'prometheus-'));
    try {
      const config = parse(read('deploy/prometheus/prometheus.yml')) as { rule_files: string[]; scrape_configs: { job_name: string }[] };
      // In the container the rules are mounted at /etc/prometheus; here they are where they are.
      writeFileSync(path.join(dir, 'prometheus.yml'), stringify({ ...config, rule_files: [path.join(ROOT, 'deploy/prometheus/alerts.yml')] }));
      const result = await promtool(['check', 'config', path.join(dir, 'prometheus.yml')]);
      expect({ code: result.code, stderr: result.stderr }).toEqual({ code: 0, stderr: '' });
      expect(config.scrape_configs.map((scrape) => scrape.job_name)).toEqual(['agent-lifecycle-ingress', 'agent-lifecycle-worker']);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it('uses only metrics of the contract, in the dashboard and in the alerts', () => {
    const used = [...queryPanels.flatMap((panel) => (panel.targets ?? []).map((target) => target.expr)), ...alerts.map((alert) => alert.expr)].flatMap(metricsIn);
    expect(used.length).toBeGreaterThan(0);
    expect([...new Set(used.map((series) => contractNameOf(series, contract)))].filter((name) => !contract.has(name))).toEqual([]);
  });

  it('draws every metric of the contract that exists today, each panel with a query promtool can parse', async () => {
    expect(dashboard).toMatchObject({ uid: 'agent-lifecycle', title: 'agent-lifecycle' });
    for (const panel of queryPanels) {
      expect([panel.title, panel.datasource?.uid, (panel.targets ?? []).length > 0]).toEqual([panel.title, '${datasource}', true]);
    }
    const drawn = new Set(queryPanels.flatMap((panel) => (panel.targets ?? []).flatMap((target) => metricsIn(target.expr))).map((series) => contractNameOf(series, contract)));
    const later = ['agent_lifecycle_fleet_monthly_cost_euros', 'agent_lifecycle_hibernation_savings_monthly_euros'];
    expect([...contract].filter((name) => !drawn.has(name) && !later.includes(name))).toEqual([]);

    const dir = mkdtempSync(path.join(tmpdir(), 'dashboard-rules-'));
    try {
      const asRules = { groups: [{ name: 'dashboard', rules: queryPanels.flatMap((panel, index) => (panel.targets ?? []).map((target) => ({ record: `dashboard:panel_${index}_${target.refId}`, expr: target.expr }))) }] };
      writeFileSync(path.join(dir, 'dashboard.yml'), stringify(asRules));
      const result = await promtool(['check', 'rules', path.join(dir, 'dashboard.yml')]);
      expect({ code: result.code, stderr: result.stderr }).toEqual({ code: 0, stderr: '' });
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
