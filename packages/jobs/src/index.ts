// BullMQ plumbing for the job table: queue names, job policies, connections, the producer
// the ingress and the engine enqueue with, and a lease that makes one process the leader.
export * from './catalog';
export { createRedisConnection } from './connection';
export type { ConnectionRole } from './connection';
export { JobQueues, cappedBackoff, jobIdFor } from './job-queues';
export type { JobQueuesOptions } from './job-queues';
export { createLeaderLease } from './leader-lease';
export type { LeaderLease } from './leader-lease';
