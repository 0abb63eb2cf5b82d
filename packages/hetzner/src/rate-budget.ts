// The Hetzner request budget every worker process shares: a token bucket in Redis, taken
// from atomically by one Lua script on Redis's own clock, and paused for all after a 429.
import { createHash } from 'node:crypto';
import type Redis from 'ioredis';

export interface RateBudget {
  /** Resolves once this process may send one Hetzner request; waits while the budget is spent or paused. */
  take(): Promise<void>;
  /** Nobody sharing the budget sends before `resetAt` (Hetzner answered 429); then one request, then the refill pace. */
  pauseUntil(resetAt: Date): Promise<void>;
}

export interface RateBudgetOptions {
  redis: Redis;
  /** The Redis key of the bucket: every process using the same Hetzner project uses the same key. */
  key: string;
  /** Hetzner's project limit: the bucket refills at limitPerHour / 3600 requests per second. */
  limitPerHour: number;
  /** Most requests sent at once after an idle spell; limitPerHour (Hetzner's own bucket) when absent. */
  capacity?: number;
  /** How take() waits; tests may pass a clock that records the waits. */
  clock?: { sleep(ms: number): Promise<void> };
  /** Told, after every take(), how long it waited for the budget in milliseconds (0 when it did not). */
  onWait?: (ms: number) => void;
}

// Returns 0 when a token was taken, else the milliseconds until one is worth asking for.
// Time comes from Redis (TIME), so processes on machines with skewed clocks still agree.
const TAKE = `
if redis.replicate_commands then redis.replicate_commands() end
local capacity = tonumber(ARGV[1])
local perMs = tonumber(ARGV[2])
local t = redis.call('TIME')
local now = tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000)
local state = redis.call('HMGET', KEYS[1], 'tokens', 'at', 'pausedUntil')
local paused = tonumber(state[3]) or 0
if paused > now then return paused - now end
local tokens = tonumber(state[1]) or capacity
local at = tonumber(state[2]) or now
tokens = math.min(capacity, tokens + math.max(0, now - at) * perMs)
local wait = 0
if tokens >= 1 then tokens = tokens - 1 else wait = math.ceil((1 - tokens) / perMs) end
redis.call('HSET', KEYS[1], 'tokens', tostring(tokens), 'at', tostring(now))
redis.call('PEXPIRE', KEYS[1], math.ceil((capacity - tokens) / perMs) + 60000)
return wait
`;

// Pauses the bucket until ARGV[1] (ms since the epoch), never shortening a pause another
// process set. It resumes with the one request Hetzner will accept then, refilling after it.
const PAUSE = `
if redis.replicate_commands then redis.replicate_commands() end
local untilMs = tonumber(ARGV[1])
local capacity = tonumber(ARGV[2])
local perMs = tonumber(ARGV[3])
local t = redis.call('TIME')
local now = tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000)
local paused = tonumber(redis.call('HGET', KEYS[1], 'pausedUntil')) or 0
if paused > untilMs then untilMs = paused end
if untilMs <= now then return 0 end
redis.call('HSET', KEYS[1], 'tokens', '1', 'at', tostring(untilMs), 'pausedUntil', tostring(untilMs))
redis.call('PEXPIRE', KEYS[1], (untilMs - now) + math.ceil(capacity / perMs) + 60000)
return untilMs - now
`;

const sleepFor = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms));

/** Runs a script by its hash, loading it the first time a Redis server has not seen it. */
async function runScript(redis: Redis, script: string, sha: string, key: string, args: Array<string | number>): Promise<number> {
  try {
    return Number(await redis.evalsha(sha, 1, key, ...args));
  } catch (error) {
    if (!String((error as { message?: unknown } | null)?.message).startsWith('NOSCRIPT')) throw error;
    return Number(await redis.eval(script, 1, key, ...args));
  }
}

const sha1 = (text: string) => createHash('sha1').update(text).digest('hex');
const TAKE_SHA = sha1(TAKE);
const PAUSE_SHA = sha1(PAUSE);

export function createRateBudget({ redis, key, limitPerHour, capacity = limitPerHour, clock, onWait }: RateBudgetOptions): RateBudget {
  if (!(limitPerHour > 0)) throw new Error(`Hetzner rate budget needs a positive limitPerHour, got ${limitPerHour}`);
  if (!(capacity >= 1)) throw new Error(`Hetzner rate budget needs a capacity of at least 1, got ${capacity}`);
  const perMs = limitPerHour / 3_600_000;
  const sleep = clock ? (ms: number) => clock.sleep(ms) : sleepFor;

  return {
    async take() {
      let waited = 0;
      for (;;) {
        const wait = await runScript(redis, TAKE, TAKE_SHA, key, [capacity, perMs]);
        if (wait <= 0) {
          onWait?.(waited);
          return;
        }
        await sleep(wait);
        waited += wait;
      }
    },
    async pauseUntil(resetAt) {
      await runScript(redis, PAUSE, PAUSE_SHA, key, [resetAt.getTime(), capacity, perMs]);
    },
  };
}
