// Hetzner label selectors: the parser and matcher for every documented form, and the same
// selectors applied by GET /v1/servers.
import { InvalidLabelSelector, matchesLabelSelector, parseLabelSelector } from '@agent-lifecycle/cloud-sim';
import { call, createServer, startSim, type ServerJson } from './sim-client';
import type { CloudSim } from '@agent-lifecycle/cloud-sim';

const ours = { 'managed-by': 'agent-lifecycle', 'agent-id': 'a1', env: 'prod' };
const staging = { 'managed-by': 'agent-lifecycle', 'agent-id': 'a2', env: 'staging' };
const foreign = { team: 'web' };

function matches(selector: string, labels: Record<string, string>): boolean {
  return matchesLabelSelector(labels, parseLabelSelector(selector));
}

describe('label selector parser and matcher', () => {
  it('parses every documented form into requirements', () => {
    expect(parseLabelSelector('k==v, k2=v2 ,k3!=v3,k4,!k5,k6 in (a, b),k7 notin (c)')).toEqual([
      { key: 'k', operator: 'equals', value: 'v' },
      { key: 'k2', operator: 'equals', value: 'v2' },
      { key: 'k3', operator: 'notEquals', value: 'v3' },
      { key: 'k4', operator: 'exists' },
      { key: 'k5', operator: 'notExists' },
      { key: 'k6', operator: 'in', values: ['a', 'b'] },
      { key: 'k7', operator: 'notIn', values: ['c'] },
    ]);
  });

  it('treats an empty selector as matching everything', () => {
    expect(parseLabelSelector('')).toEqual([]);
    expect(matches('', foreign)).toBe(true);
  });

  it('matches equality with == and =', () => {
    expect(matches('env==prod', ours)).toBe(true);
    expect(matches('env=prod', ours)).toBe(true);
    expect(matches('env=prod', staging)).toBe(false);
    expect(matches('env=prod', foreign)).toBe(false);
  });

  it('matches inequality, including resources without the key', () => {
    expect(matches('env!=prod', staging)).toBe(true);
    expect(matches('env!=prod', ours)).toBe(false);
    expect(matches('env!=prod', foreign)).toBe(true);
  });

  it('matches presence and absence of a key', () => {
    expect(matches('agent-id', ours)).toBe(true);
    expect(matches('agent-id', foreign)).toBe(false);
    expect(matches('!agent-id', foreign)).toBe(true);
    expect(matches('!agent-id', ours)).toBe(false);
  });

  it('matches set membership with in and notin', () => {
    expect(matches('env in (prod,staging)', ours)).toBe(true);
    expect(matches('env in (prod,staging)', staging)).toBe(true);
    expect(matches('env in (prod,staging)', foreign)).toBe(false);
    expect(matches('env notin (prod)', staging)).toBe(true);
    expect(matches('env notin (prod)', ours)).toBe(false);
    expect(matches('env notin (prod)', foreign)).toBe(true);
  });

  it('joins expressions with a comma as AND', () => {
    expect(matches('managed-by=agent-lifecycle,env=prod', ours)).toBe(true);
    expect(matches('managed-by=agent-lifecycle,env=prod', staging)).toBe(false);
    expect(matches('managed-by=agent-lifecycle,!team,env in (staging)', staging)).toBe(true);
  });

  it('accepts prefixed keys', () => {
    expect(matches('example.com/role=db', { 'example.com/role': 'db' })).toBe(true);
  });

  it('accepts an empty value, which label values may be', () => {
    expect(matches('env==', { env: '' })).toBe(true);
    expect(matches('env==', ours)).toBe(false);
  });

  it.each(['=prod', 'env in ()', 'env in (a', 'bad key=1', 'env=prod,', '!', 'env==has space', 'hetzner.cloud/x=1'])('rejects the malformed selector %p', (selector) => {
    expect(() => parseLabelSelector(selector)).toThrow(InvalidLabelSelector);
  });
});

describe('label selectors on GET /v1/servers', () => {
  let sim: CloudSim;
  beforeAll(async () => {
    sim = await startSim();
    await createServer(sim, 'agent-a1', ours);
    await createServer(sim, 'agent-a2', staging);
    await createServer(sim, 'web-1', foreign);
  });
  afterAll(() => sim.close());

  async function namesFor(selector: string): Promise<string[]> {
    const answer = await call<{ servers: ServerJson[] }>(sim, 'GET', `/v1/servers?label_selector=${encodeURIComponent(selector)}`);
    expect(answer.status).toBe(200);
    return answer.body.servers.map((s) => s.name).sort();
  }

  it.each([
    ['managed-by==agent-lifecycle', ['agent-a1', 'agent-a2']],
    ['managed-by=agent-lifecycle,agent-id=a2', ['agent-a2']],
    ['env!=prod', ['agent-a2', 'web-1']],
    ['team', ['web-1']],
    ['!team', ['agent-a1', 'agent-a2']],
    ['env in (prod,staging)', ['agent-a1', 'agent-a2']],
    ['env notin (prod)', ['agent-a2', 'web-1']],
    ['agent-id in (a1),env=prod,!team', ['agent-a1']],
  ])('%s selects %p', async (selector, expected) => {
    expect(await namesFor(selector)).toEqual(expected);
  });

  it('answers a malformed selector with 400 invalid_input naming the parameter', async () => {
    const answer = await call<{ error: { code: string; details: { fields: Array<{ name: string }> } } }>(sim, 'GET', `/v1/servers?label_selector=${encodeURIComponent('env in (a')}`);
    expect(answer.status).toBe(400);
    expect(answer.body.error.code).toBe('invalid_input');
    expect(answer.body.error.details.fields[0]?.name).toBe('label_selector');
  });
});
