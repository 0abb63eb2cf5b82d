// Read-only checks that each cloud accepts the configured credentials: run by the worker at
// start-up (with real credentials) and by `agentctl doctor` on demand.
export { runPreflight, preflightFailureLine, cloudName } from './run-preflight';
export type { PreflightCheck, PreflightCloud, PreflightConfig, PreflightOptions, PreflightReport } from './run-preflight';
