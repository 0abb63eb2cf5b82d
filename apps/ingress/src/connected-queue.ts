// The ingress hands jobs to BullMQ only while its Redis connection is up. While it is down an
// enqueue fails at once instead of waiting for the reconnect (every request would otherwise
// leave a pending add behind, for as long as the outage lasts); the operation is already
// committed `queued`, the request is answered, and the sweeper enqueues it later.
import { RetryableError } from '@agent-lifecycle/errors';
import type { OperationQueue } from '@agent-lifecycle/lifecycle';

export function connectedQueue(queue: OperationQueue, redis: { readonly status: string }): OperationQueue {
  const unavailable = () => Promise.reject(new RetryableError('redis_unavailable', `Redis is ${redis.status}; the sweeper will enqueue the operation.`));
  return {
    enqueue: (name, operationId, options) => (redis.status === 'ready' ? queue.enqueue(name, operationId, options) : unavailable()),
    hasLiveJob: (name, operationId) => queue.hasLiveJob(name, operationId),
    requeue: (name, operationId) => (redis.status === 'ready' ? queue.requeue(name, operationId) : unavailable()),
  };
}
