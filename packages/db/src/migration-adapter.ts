// The driver adapter the Prisma CLI's WebAssembly schema engine migrates through, so
// Migrate runs with no engine download. Used by prisma.config.ts only, never at run time.
import { randomUUID } from 'node:crypto';
import { PrismaPg } from '@prisma/adapter-pg';
import pg from 'pg';

// PostgreSQL's internal catalog types, which @prisma/adapter-pg refuses to map although
// in the text protocol they are plain strings.
const CHAR_OID = 18;
const NAME_OID = 19;
const TEXT_OID = 25;

type Factory = PrismaPg;
type Adapter = Awaited<ReturnType<Factory['connect']>>;
type Transaction = Awaited<ReturnType<Adapter['startTransaction']>>;
type Result = { fields?: { dataTypeID: number }[] };
// A script of several statements answers with one result per statement.
type PerformIO = (query: unknown) => Promise<Result | Result[]>;

/** Reports "char" and name columns as text before the adapter maps the fields. */
function readCatalogTypesAsText<T extends Adapter | Transaction>(queryable: T): T {
  const target = queryable as unknown as { performIO: PerformIO };
  const performIO = target.performIO.bind(queryable);
  target.performIO = async (query) => {
    const result = await performIO(query);
    for (const { fields = [] } of Array.isArray(result) ? result : [result]) {
      for (const field of fields) {
        if (field.dataTypeID === CHAR_OID || field.dataTypeID === NAME_OID) field.dataTypeID = TEXT_OID;
      }
    }
    return result;
  };
  return queryable;
}

function patchAdapter(adapter: Adapter): Adapter {
  const startTransaction = adapter.startTransaction.bind(adapter);
  adapter.startTransaction = async (isolationLevel) => readCatalogTypesAsText(await startTransaction(isolationLevel));
  return readCatalogTypesAsText(adapter);
}

function withDatabase(connectionString: string, database: string): string {
  const url = new URL(connectionString);
  url.pathname = `/${database}`;
  return url.toString();
}

/**
 * A PrismaPg factory whose shadow database really is a separate database (the stock
 * one lets the connection string override it) and is dropped only after its pool closes.
 */
export function createMigrationAdapter(connectionString: string): Factory {
  const factory = new PrismaPg({ connectionString });
  const connect = factory.connect.bind(factory);
  factory.connect = async () => patchAdapter(await connect());
  factory.connectToShadowDb = async () => {
    const database = `prisma_shadow_${randomUUID().replaceAll('-', '')}`;
    const admin = new pg.Client({ connectionString });
    await admin.connect();
    try {
      await admin.query(`CREATE DATABASE "${database}"`);
    } finally {
      await admin.end();
    }
    const shadow = new PrismaPg({ connectionString: withDatabase(connectionString, database) });
    const adapter = patchAdapter(await shadow.connect());
    const dispose = adapter.dispose.bind(adapter);
    adapter.dispose = async () => {
      await dispose();
      const dropper = new pg.Client({ connectionString });
      await dropper.connect();
      try {
        await dropper.query(`DROP DATABASE IF EXISTS "${database}"`);
      } finally {
        await dropper.end();
      }
    };
    return adapter;
  };
  return factory;
}
