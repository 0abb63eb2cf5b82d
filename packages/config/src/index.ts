// The one place that reads the environment (docs/environment.md): parses and validates it
// once, fills sandbox defaults when no real credentials are set, and names every bad variable.
export { loadConfig, loadConfigOrExit, ConfigError, isSandbox, defaultDatabaseUrl } from './load-config';
export type { Config, ConfigProblem, Mode } from './load-config';
export { databaseUrlForPrisma } from './prisma-environment';
export { SANDBOX_ENV_FILE, childEnvironment, generatedSecretValues, formatEnvFile, parseEnvFile, sandboxEnvironmentValues, writeSandboxEnvironment, withSandboxEnvironment } from './sandbox-environment';
export { sandboxCredentials } from './sandbox-credentials';
