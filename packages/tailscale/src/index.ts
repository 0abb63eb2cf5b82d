// Tailscale for the lifecycle: the Tailnet port adapter over the API v2, authenticated by
// an API key or an OAuth client, with failures classified into @agent-lifecycle/errors.
export { createTailscaleTailnet } from './tailscale-tailnet';
export type { TailscaleTailnetOptions } from './tailscale-tailnet';
export { classifyTailscaleError } from './classify-tailscale-error';
export type { TailscaleObservedRequest, TailscaleRequestObserver } from './tailscale-http';
export { checkTailscaleAccess, scopesAllowDeviceRemoval, DEVICE_REMOVAL_SCOPE } from './check-tailscale-access';
export type { AccessFinding, TailscaleAccessOptions } from './check-tailscale-access';
