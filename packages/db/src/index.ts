// The database: one pool, Prisma on it (schema owner, cold paths) and Kysely on it (hot
// paths), and the persistence modules the use cases call. The only package that builds queries.
export { createDb, isUniqueViolation, isForeignKeyViolation, pingDatabase, uniqueConstraintOf } from './client';
export type { Db, DbOptions, DbTransaction, Sql } from './client';
export { newId } from './ids';
export { StaleRead, unchanged, versionOf } from './locks';
export type { Versioned } from './locks';
export { accept, enqueueWithinBound, ENQUEUE_BOUND_MS } from './accept';
export type { Acceptance, AcceptDeps } from './accept';
export {
  audit,
  recordOperation,
  recordDestroy,
  requeueFailedOperation,
  planOperation,
  TERMINAL_OPERATION_STATUSES,
  PENDING_OPERATION_STATUSES,
  SUPERSEDED_BY_DESTROY,
} from './operations';
export type { AuditInput, NewOperation, OperationRecord, PlannedOperation } from './operations';
export type { Delivery } from './webhook-events';
export { readAgentRequest, recordAgentOperation, recordNewAgent } from './agent-requests';
export type { AgentAsRead, AgentRequestFacts, AgentOperationWrite, NewAgent } from './agent-requests';
export { readBillingFacts, recordBillingEvent } from './billing-events';
export type { BillingAgent, BillingFacts, BillingWrite, BillingWriteResult, StoredSubscription, SubscriptionMirror } from './billing-events';
export { readCallbackFacts, recordCallback } from './provisioning-callbacks';
export type { CallbackEffects, CallbackFacts, CallbackWrite, CallbackWriteResult, InstanceFields } from './provisioning-callbacks';
export { findUserByTokenHash, findUserByEmail, insertUser, insertApiToken } from './accounts';
export { listAgents, findAgent, findOperation, listOperations, findOperationDetail, latestSubscriptionStatus } from './reads';
export type { AgentRecord, AgentWithInstance, AgentDetail, InstanceRecord, OperationDetail, StepRecord } from './reads';
export { Prisma } from './generated/client';
export type {
  User,
  ApiToken,
  Subscription,
  Agent,
  AgentInstance,
  ProvisioningJob,
  Operation,
  OperationStep,
  AuditEntry,
  WebhookEvent,
} from './generated/client';
export {
  AgentStatus,
  SuspendedBy,
  InstanceStatus,
  ProvisioningJobStatus,
  OperationKind,
  OperationSource,
  OperationStatus,
  StepStatus,
  SubscriptionStatus,
  WebhookProvider,
} from './generated/enums';
export * from './operation-runs';
export * from './cloud-waits';
export * from './engine-upkeep';
