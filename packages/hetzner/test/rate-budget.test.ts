// The shared Hetzner budget on the real Redis: the bucket's arithmetic, two processes
// drawing from one bucket, and a 429's pause holding everyone back.
import { randomUUID } from 'node:crypto';
import Redis from 'ioredis';
import { createRateBudget, type RateBudget } from '@agent-lifecycle/hetzner';
import { testQueuePrefix, testRedisUrl } from '@agent-lifecycle/testing';

/**
 * A fresh budget key under this run's prefix (swept by the global teardown). The prefix alone
 * repeats when two files share a Jest worker, so a random part keeps buckets apart.
 */
const budgetKey = () => `${testQueuePrefix()}:hetzner-budget-${randomUUID()}`;

let redis: Redis;

beforeAll(() => {
  redis = new Redis(testRedisUrl);
});

afterAll(async () => {
  await redis.quit();
});

/** A clock that sleeps for real and remembers every wait it was asked for. */
function recordingClock() {
  const waits: number[] = [];
  return {
    waits,
    sleep: (ms: number) => {
      waits.push(ms);
      return new Promise<void>((resolve) => setTimeout(resolve, ms));
    },
  };
}

/** A clock for takes that must not wait: asking it to sleep fails the take at once. */
const noWaiting = { sleep: (ms: number) => Promise.reject(new Error(`the budget asked to wait ${ms} ms`)) };

async function timed(work: () => Promise<void>): Promise<number> {
  const started = Date.now();
  await work();
  return Date.now() - started;
}

async function takeTimes(budget: RateBudget, count: number): Promise<void> {
  for (let i = 0; i < count; i += 1) await budget.take();
}

describe('createRateBudget', () => {
  it('tells onWait how long each take waited: nothing while the bucket holds, the refill time once it is empty', async () => {
    const clock = recordingClock();
    const waited: number[] = [];
    const budget = createRateBudget({ redis, key: budgetKey(), limitPerHour: 36_000, capacity: 2, clock, onWait: (ms) => waited.push(ms) });
    await takeTimes(budget, 3);
    expect(waited.slice(0, 2)).toEqual([0, 0]);
    // The third take slept for the refill (0.1 s at 36 000 per hour), and reported just that.
    expect(clock.waits.length).toBeGreaterThan(0);
    expect(waited[2]).toBe(clock.waits.reduce((sum, ms) => sum + ms, 0));
    expect(waited[2]).toBeGreaterThan(0);
  });

  it('gives a full bucket of 5 at once, then one request a second at 3600 per hour', async () => {
    const clock = recordingClock();
    const budget = createRateBudget({ redis, key: budgetKey(), limitPerHour: 3600, capacity: 5, clock });

    const started = Date.now();
    await takeTimes(budget, 5);
    expect(clock.waits).toEqual([]);

    // The sixth token refills one second after the bucket was first drawn from.
    await budget.take();
    const elapsed = Date.now() - started;
    expect(elapsed).toBeGreaterThanOrEqual(900);
    expect(elapsed).toBeLessThan(1600);
    // It slept until the token was due instead of polling Redis in a loop.
    expect(clock.waits.length).toBeLessThanOrEqual(2);
    expect(clock.waits[0]).toBeGreaterThan(800);
  });

  it('starts a fresh bucket full: limitPerHour requests at once by default', async () => {
    const budget = createRateBudget({ redis, key: budgetKey(), limitPerHour: 20, clock: noWaiting });
    await takeTimes(budget, 20);
    await expect(budget.take()).rejects.toThrow(/asked to wait/);
  });

  it('never hands out more than the bucket holds, however many take at once', async () => {
    const budget = createRateBudget({ redis, key: budgetKey(), limitPerHour: 3600, capacity: 5, clock: noWaiting });
    const outcomes = await Promise.allSettled(Array.from({ length: 12 }, () => budget.take()));
    expect(outcomes.filter((o) => o.status === 'fulfilled')).toHaveLength(5);
  });

  it('shares one bucket between every budget using the same key', async () => {
    const key = budgetKey();
    const clockA = recordingClock();
    const clockB = recordingClock();
    // Two worker processes, each with its own connection, one project budget of 10 per second.
    const otherRedis = new Redis(testRedisUrl);
    try {
      const a = createRateBudget({ redis, key, limitPerHour: 36_000, capacity: 3, clock: clockA });
      const b = createRateBudget({ redis: otherRedis, key, limitPerHour: 36_000, capacity: 3, clock: clockB });

      await takeTimes(a, 2);
      await b.take();
      expect([...clockA.waits, ...clockB.waits]).toEqual([]);

      const fourth = await timed(() => b.take());
      expect(clockB.waits.length).toBeGreaterThan(0);
      expect(fourth).toBeGreaterThanOrEqual(60);

      // A separate key is a separate project with its own full bucket.
      const other = createRateBudget({ redis, key: `${key}-other`, limitPerHour: 36_000, capacity: 3, clock: clockA });
      await takeTimes(other, 3);
      expect(clockA.waits).toEqual([]);
    } finally {
      await otherRedis.quit();
    }
  });

  it('holds back every budget on the key until a pause ends, and a shorter pause never cuts it', async () => {
    const key = budgetKey();
    const pausing = createRateBudget({ redis, key, limitPerHour: 3600 });
    const waiting = createRateBudget({ redis, key, limitPerHour: 3600 });
    await waiting.take();

    const pauseEnd = Date.now() + 700;
    await pausing.pauseUntil(new Date(pauseEnd));
    await pausing.pauseUntil(new Date(Date.now() + 100));

    await waiting.take();
    expect(Date.now()).toBeGreaterThanOrEqual(pauseEnd - 20);
    expect(Date.now()).toBeLessThan(pauseEnd + 500);
  });

  it('resumes after a pause with one request, then at the refill pace', async () => {
    const key = budgetKey();
    const clock = recordingClock();
    const budget = createRateBudget({ redis, key, limitPerHour: 7200, clock });
    await budget.pauseUntil(new Date(Date.now() + 200));

    await budget.take();
    const waitsForPause = clock.waits.length;
    expect(waitsForPause).toBeGreaterThan(0);
    // Hetzner reported an empty bucket: the next request has to wait for a refill (0.5 s).
    const next = await timed(() => budget.take());
    expect(next).toBeGreaterThanOrEqual(400);
    expect(next).toBeLessThan(900);
  });

  it('ignores a pause that has already ended', async () => {
    const budget = createRateBudget({ redis, key: budgetKey(), limitPerHour: 3600, clock: noWaiting });
    await budget.pauseUntil(new Date(Date.now() - 1000));
    await takeTimes(budget, 3);
  });

  it('refuses a budget that could never send anything', () => {
    expect(() => createRateBudget({ redis, key: 'unused', limitPerHour: 0 })).toThrow(/limitPerHour/);
    expect(() => createRateBudget({ redis, key: 'unused', limitPerHour: 3600, capacity: 0 })).toThrow(/capacity/);
  });
});
