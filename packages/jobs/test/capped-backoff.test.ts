import { z } from 'zod';
import { cappedBackoff, type JobPolicies } from '../src';

const policies: JobPolicies = { 'agent.destroy': { queue: 'hetzner', payload: z.object({}), attempts: 10, backoffMs: 2_000, maxBackoffMs: 60_000 } };
const jobNamed = (name: string, delay: number) => ({ name, opts: { backoff: { type: 'capped-exponential', delay } } });

describe('the capped exponential retry backoff', () => {
  it('doubles the first delay on every attempt, within a tenth either way', () => {
    const backoff = cappedBackoff(policies);
    for (const [attempt, expected] of [
      [1, 2_000],
      [2, 4_000],
      [4, 16_000],
    ] as const) {
      const delay = backoff(attempt, undefined, undefined, jobNamed('agent.destroy', 2_000));
      expect(delay).toBeGreaterThanOrEqual(expected * 0.9);
      expect(delay).toBeLessThanOrEqual(expected * 1.1);
    }
  });

  it('never waits longer than the job allows, scaled like its first delay', () => {
    const backoff = cappedBackoff(policies);
    expect(backoff(30, undefined, undefined, jobNamed('agent.destroy', 2_000))).toBeLessThanOrEqual(60_000 * 1.1);
    // A producer that scales retries down (tests) scales the cap with them.
    expect(backoff(30, undefined, undefined, jobNamed('agent.destroy', 20))).toBeLessThanOrEqual(600 * 1.1);
  });
});
