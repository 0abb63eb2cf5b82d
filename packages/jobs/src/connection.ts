// Redis connections as BullMQ's production guide asks: workers retry forever and
// reconnect; producers fail fast so a request is answered instead of hanging.
import Redis from 'ioredis';

export type ConnectionRole = 'worker' | 'producer';

export function createRedisConnection(url: string, role: ConnectionRole): Redis {
  const reconnect = (times: number) => Math.min(1_000 * 2 ** Math.min(times, 5), 20_000);
  if (role === 'worker') {
    return new Redis(url, { maxRetriesPerRequest: null, enableReadyCheck: true, retryStrategy: reconnect });
  }
  return new Redis(url, {
    maxRetriesPerRequest: 1,
    enableOfflineQueue: false,
    connectTimeout: 2_000,
    retryStrategy: reconnect,
  });
}
