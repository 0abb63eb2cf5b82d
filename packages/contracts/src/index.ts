// Wire formats shared between our pieces and the outside world they talk to (and the
// simulator that stands in for it). Only schemas and their types: no behaviour.
export { provisioningCallbackSchema } from './provisioning-callback';
export type { ProvisioningCallback } from './provisioning-callback';
