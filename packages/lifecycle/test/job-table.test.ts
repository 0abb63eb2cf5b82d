import { QUEUE_NAMES } from '@agent-lifecycle/jobs';
import { JOB_OF_KIND, JOB_TABLE, QUEUE_CONCURRENCY, jobDefinition } from '../src';

describe('the job table', () => {
  it('has a job for every kind of operation, and every job a queue with worker slots', () => {
    for (const job of Object.values(JOB_OF_KIND)) expect(jobDefinition(job)).toBeDefined();
    for (const definition of Object.values(JOB_TABLE)) {
      expect(QUEUE_NAMES).toContain(definition.queue);
      expect(QUEUE_CONCURRENCY[definition.queue]).toBeGreaterThan(0);
    }
  });

  it('refuses a payload that is not an operation id before any handler runs', async () => {
    const handled = JOB_TABLE['agent.stop'].handle({} as never, { operationId: 42 }, { name: 'agent.stop', attempt: 1, maxAttempts: 1, report: async () => undefined });
    await expect(handled).rejects.toMatchObject({ name: 'ZodError' });
    expect(() => JOB_TABLE['agent.destroy'].payload.parse({ operationId: 'op_1', extra: true })).toThrow();
  });

  it('knows no job by a name it does not declare', () => {
    expect(jobDefinition('device.remove')).toBeUndefined();
    expect(jobDefinition('toString')).toBeUndefined();
  });

  it('schedules the maintenance jobs and nothing else', () => {
    const scheduled = Object.entries(JOB_TABLE).filter(([, definition]) => definition.everyMs !== undefined);
    expect(scheduled.map(([name, definition]) => [name, definition.queue])).toEqual([
      ['operations.sweep', 'maintenance'],
      ['cloud.reconcile', 'maintenance'],
    ]);
  });
});
