// One holder at a time among every process sharing a Redis and a key: the cloud watcher
// polls only in the process holding it. A dead holder's lease lapses after its time to live.
import { randomUUID } from 'node:crypto';
import type Redis from 'ioredis';

export interface LeaderLease {
  /** Takes the lease, or extends it when this process holds it; true while this process leads. */
  hold(): Promise<boolean>;
  /** Gives the lease up (on shutdown), so another process takes over at once. */
  release(): Promise<void>;
}

// Extends the lease only for its holder; returns 1 when the caller holds it afterwards.
const HOLD = `
local holder = redis.call('GET', KEYS[1])
if holder == ARGV[1] then
  redis.call('PEXPIRE', KEYS[1], ARGV[2])
  return 1
end
if holder then return 0 end
redis.call('SET', KEYS[1], ARGV[1], 'PX', ARGV[2])
return 1
`;

const RELEASE = `
if redis.call('GET', KEYS[1]) == ARGV[1] then return redis.call('DEL', KEYS[1]) end
return 0
`;

export function createLeaderLease({ redis, key, ttlMs }: { redis: Redis; key: string; ttlMs: number }): LeaderLease {
  const holder = randomUUID();
  return {
    async hold() {
      return Number(await redis.eval(HOLD, 1, key, holder, String(Math.ceil(ttlMs)))) === 1;
    },
    async release() {
      await redis.eval(RELEASE, 1, key, holder);
    },
  };
}
