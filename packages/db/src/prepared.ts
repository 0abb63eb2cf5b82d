// Hot-path statements prepared once. Kysely builds and compiles a statement the first time it
// runs, typed against the schema, with placeholders where the values go; every later call only
// binds values. PostgreSQL then parses and plans it once per connection (a named prepared
// statement): planning a statement of several CTEs costs more than running it. So a prepared
// statement has one shape: what varies between calls is values (arrays, nulls, flags), never SQL.
import type { Compilable, CompiledQuery, Kysely } from 'kysely';
import type { DB } from './generated/kysely/types';

type Sql = Kysely<DB>;

const PARAMETER = Symbol('parameter');

interface Placeholder {
  readonly [PARAMETER]: string;
}

const isPlaceholder = (value: unknown): value is Placeholder => typeof value === 'object' && value !== null && PARAMETER in value;

/** The SQL texts of prepared statements and their names (the pool sends these by name). */
const names = new Map<string, string>();

export function preparedNameOf(sqlText: string): string | undefined {
  return names.get(sqlText);
}

/** Placeholders for a statement's parameters, typed as the values they stand for. */
export type Placeholders<P> = { readonly [K in keyof P]: P[K] };

export type Prepared<P, R> = (db: { readonly kysely: Sql }, parameters: P) => Promise<R[]>;

/**
 * A statement built once by `build` (which must use its placeholders for every value that
 * varies) and then run with new values. Values written into the statement itself are constants.
 */
export function prepare<P extends object, R>(build: (kysely: Sql, parameters: Placeholders<P>) => Compilable<R>): Prepared<P, R> {
  let compiled: { query: CompiledQuery<R>; keys: (keyof P | undefined)[] } | undefined;
  return async (db, parameters) => {
    if (!compiled) {
      const placeholders = new Proxy({} as Placeholders<P>, { get: (_target, key) => (typeof key === 'string' ? ({ [PARAMETER]: key } satisfies Placeholder) : undefined) });
      const query = build(db.kysely, placeholders).compile();
      compiled = { query, keys: query.parameters.map((value) => (isPlaceholder(value) ? (value[PARAMETER] as keyof P) : undefined)) };
      if (!names.has(query.sql)) names.set(query.sql, `agent_lifecycle_${names.size + 1}`);
    }
    const { query, keys } = compiled;
    const values = query.parameters.map((constant, index) => {
      const key = keys[index];
      return key === undefined ? constant : parameters[key];
    });
    const result = await db.kysely.executeQuery<R>({ ...query, parameters: values });
    return result.rows;
  };
}
