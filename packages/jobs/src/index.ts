// The job catalog and its BullMQ plumbing: queue and job names, payload schemas,
// retry policy, connections, and the producer the ingress and the engine enqueue with.
export * from './catalog';
export { createRedisConnection } from './connection';
export type { ConnectionRole } from './connection';
export { JobQueues } from './job-queues';
export type { JobQueuesOptions } from './job-queues';
