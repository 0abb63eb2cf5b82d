// Public face of the cloud simulator: start it embedded (tests, `npm start`) and the types
// and helpers that describe its behaviour and its signed provisioning callbacks.
export { startCloudSim } from './start-cloud-sim';
export type { CloudSim, CloudSimOptions } from './start-cloud-sim';
export type { SimStateSnapshot } from './simulator';
export { defaultSimConfig, provisioningFailureSteps, failableCommands } from './sim-config';
export type { SimConfig, SimConfigPatch, ProvisioningFailureStep, RateLimitConfig, ActionErrorConfig, FailableCommand } from './sim-config';
export { defaultSimCredentials, simCredentialsFor, SANDBOX_PROJECT } from './credentials';
export type { SimCredentials, SimCredentialsPatch, ServiceCredentials, HetznerProject, TailscaleOAuthClient, GithubToken, GithubWorkflow } from './credentials';
export type { FaultRule } from './faults';
export type { RequestCount } from './request-log';
export type { SimLogger } from './logger';
export type { WorkflowRun } from './github/workflow-runs';
export type { CallbackPayload } from './github/callback-delivery';
export { signCallback } from './github/callback-signing';
export { parseLabelSelector, matchesLabelSelector, InvalidLabelSelector } from './hetzner/label-selector';
export type { LabelSelector, LabelRequirement } from './hetzner/label-selector';
