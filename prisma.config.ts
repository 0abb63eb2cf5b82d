// Prisma CLI configuration: Migrate runs on the WebAssembly schema engine through a
// PostgreSQL driver adapter, so generate and migrate work with only the npm registry.
import path from 'node:path';
import { defineConfig } from 'prisma/config';
import { databaseUrlForPrisma } from './packages/config/src/prisma-environment';
import { createMigrationAdapter } from './packages/db/src/migration-adapter';

const databaseUrl = databaseUrlForPrisma();

export default defineConfig({
  experimental: { adapter: true },
  engine: 'js',
  schema: path.join('prisma', 'schema.prisma'),
  migrations: { path: path.join('prisma', 'migrations') },
  adapter: async () => createMigrationAdapter(databaseUrl),
});
