// The lifecycle use cases: what users, billing and the provisioning workflow may ask
// (requests/*, used by the ingress) and how workers carry operations out (engine/*).
export * from './ports';
export { JOB_OF_KIND, type OperationQueue } from './records';
export { createOperationRequests, BILLING_FORBIDS_RUNNING, billingAllowsRunning } from './requests/operation-requests';
export type { OperationRequests, OperationRequest, Idempotency, Accepted, UserOperationKind, RequestedAgent } from './requests/operation-requests';
export { createBilling } from './requests/billing';
export type { Billing, BillingEvent, BillingOutcome, BillingResult } from './requests/billing';
export { createProvisioningCallbacks } from './requests/provisioning-callback';
export type { ProvisioningCallbacks, ProvisioningCallback, CallbackOutcome } from './requests/provisioning-callback';
export { retryOperation } from './requests/retry-operation';
export { JOB_TABLE, QUEUE_CONCURRENCY, jobDefinition } from './job-table';
export type { JobDefinition, JobTableName } from './job-table';
export { createEngine } from './engine/engine';
export type { Engine } from './engine/engine';
export { StepAside } from './engine/job-context';
export type { JobContext } from './engine/job-context';
export type { EngineDeps, EngineSettings, EngineQueue, EngineObserver } from './engine/run';
export { createCloudWatcher } from './engine/cloud-watcher';
export type { CloudWatcher, CloudWatcherDeps, CloudWatcherSettings } from './engine/cloud-watcher';
export type { SweepReport } from './engine/sweeper';
export type { ReconcileReport } from './engine/reconciler';
export { MANAGED_BY, hostnameOf } from './engine/destroy-agent';
export { agentView, operationView, loadAgentDetail } from './views';
export type { AgentView, OperationView } from './views';
export { createUser, issueToken, issueTokenByEmail, authenticate, hashToken } from './accounts';
