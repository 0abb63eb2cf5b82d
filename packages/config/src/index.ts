// The one place that reads the environment: parses and validates DESIGN.md §5 once,
// fills sandbox defaults when no real credentials are set, and names any bad variable.
export { loadConfig, loadConfigOrExit, ConfigError, isSandbox, defaultDatabaseUrl } from './load-config';
export type { Config, Mode } from './load-config';
export { databaseUrlForPrisma } from './prisma-environment';
export { SANDBOX_SECRETS_FILE, childEnvironment, generatedSecretValues, formatEnvFile, parseEnvFile, writeSandboxSecrets, withSandboxSecrets } from './sandbox-environment';
export { sandboxCredentials } from './sandbox-credentials';
