// Public face of the ingress: the Express app (for tests and embedding) and a runner
// that listens and closes gracefully (for `npm run ingress` and `npm start`).
export { createApp } from './app';
export type { AppDeps, AppOptions } from './app';
export { startIngress } from './server';
export type { Ingress, StartIngressOptions } from './server';
export type { RateLimitSettings } from './middleware/rate-limit';
export { toErrorResponse, HttpError } from './errors';
export { verifyCallbackSignature, CALLBACK_TOLERANCE_SECONDS } from './webhooks/callback-signature';
