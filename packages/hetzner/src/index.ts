// Hetzner Cloud for the lifecycle: the Cloud port adapter, the request budget all workers
// share in Redis, and the error classification both use. The only package using hcloud-js.
export { createHetznerCloud } from './hetzner-cloud';
export type { HetznerCloudOptions, HetznerLogger } from './hetzner-cloud';
export { createRateBudget } from './rate-budget';
export type { RateBudget, RateBudgetOptions } from './rate-budget';
export { classifyHetznerError } from './classify-hetzner-error';
