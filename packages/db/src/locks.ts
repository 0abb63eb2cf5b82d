// How a hot path keeps what it decided on true until it is written, with no transaction held
// across round trips. A read returns each row's version (PostgreSQL's `xmin`, which changes with
// every write of the row and not with a lock); the use case decides; the write statement locks
// those rows only if they are still at that version (`FOR UPDATE` re-checks a row that changed
// while it waited for the lock) and writes nothing otherwise. Every statement that records an
// operation for an agent also writes the agent's row, so a decision about an agent notices any
// operation recorded since it read. `StaleRead` tells the accept helper to read and decide again.
import { sql, type RawBuilder } from 'kysely';

export type VersionedTable = 'Agent' | 'Subscription' | 'ProvisioningJob';

/** A row as it was read: which one, and at which version. */
export interface Versioned {
  id: string;
  version: string;
}

/** The version of the current row of `table` (in a query that reads that table). */
export function versionOf(table: VersionedTable): RawBuilder<string> {
  return sql<string>`${sql.ref(`${table}.xmin`)}::text`;
}

/** Rows as read, as two parallel arrays (a statement's parameters). */
export interface VersionColumns {
  ids: readonly string[];
  versions: readonly string[];
}

export function versionColumns(rows: readonly Versioned[]): VersionColumns {
  return { ids: rows.map((row) => row.id), versions: rows.map((row) => row.version) };
}

/**
 * True when every row is still at the version read, and then locked until the statement's
 * transaction ends; false when any of them changed (or is gone). No rows: true.
 */
export function unchanged(table: VersionedTable, ids: readonly string[], versions: readonly string[]): RawBuilder<boolean> {
  const locked = sql`SELECT 1 FROM ${sql.table(table)} WHERE (id, xmin::text) IN (SELECT * FROM unnest(${ids}::text[], ${versions}::text[])) FOR UPDATE OF ${sql.table(table)}`;
  return sql<boolean>`((SELECT count(*) FROM (${locked}) AS locked) = cardinality(${ids}::text[]))`;
}

/** `unchanged` for one row. */
export function unchangedRow(table: VersionedTable, id: string, version: string): RawBuilder<boolean> {
  return sql<boolean>`EXISTS (SELECT 1 FROM ${sql.table(table)} WHERE id = ${id} AND xmin::text = ${version} FOR UPDATE OF ${sql.table(table)})`;
}

/** What a request was decided on changed before it could be written: read again and decide again. */
export class StaleRead extends Error {
  constructor(what: string) {
    super(`${what} changed while the request was being decided`);
    this.name = 'StaleRead';
  }
}
