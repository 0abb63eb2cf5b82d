// The Prisma CLI reads DATABASE_URL through the schema's env(); without it `generate`
// falls back to downloading an engine. This gives it the same default the app uses.
import { defaultDatabaseUrl } from './load-config';

/** The database URL for the Prisma CLI, exported to the environment the CLI reads. */
export function databaseUrlForPrisma(): string {
  const url = process.env.DATABASE_URL?.trim() || defaultDatabaseUrl;
  process.env.DATABASE_URL = url;
  return url;
}
