// Hetzner Cloud for the lifecycle: the Cloud port adapter on a small client of our own, the
// request budget all workers share in Redis, and the error classification both use.
export { createHetznerCloud } from './hetzner-cloud';
export type { HetznerCloudOptions, HetznerLogger } from './hetzner-cloud';
export type { HetznerObservedRequest, HetznerRequestObserver } from './hetzner-http';
export { createRateBudget } from './rate-budget';
export type { RateBudget, RateBudgetOptions } from './rate-budget';
export { classifyHetznerError } from './classify-hetzner-error';
export { checkHetznerAccess } from './check-hetzner-access';
export type { AccessFinding, HetznerAccessOptions } from './check-hetzner-access';
