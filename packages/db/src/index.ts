// The database: the Prisma client on the PostgreSQL driver adapter, its model types, and
// the error checks callers need. The only package that imports the generated client.
export { createDb, isUniqueViolation, isForeignKeyViolation } from './client';
export type { Db, DbTransaction } from './client';
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
