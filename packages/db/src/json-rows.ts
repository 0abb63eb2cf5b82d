// Rows read as JSON (one statement can then carry nested rows): PostgreSQL writes a
// `timestamp` as ISO text without a zone, and every timestamp here is UTC.
import type { OperationRecord } from './operations';

export function utcDate(text: string): Date {
  return new Date(/[zZ]|[+-]\d\d:\d\d$/.test(text) ? text : `${text}Z`);
}

export function utcDateOrNull(text: string | null): Date | null {
  return text === null ? null : utcDate(text);
}

type Json<T> = { [K in keyof T]: T[K] extends Date ? string : T[K] extends Date | null ? string | null : T[K] };

/** An operation row read with `to_json`/`jsonObjectFrom`. */
export function operationFromJson(row: Json<OperationRecord>): OperationRecord {
  return {
    ...row,
    createdAt: utcDate(row.createdAt),
    updatedAt: utcDate(row.updatedAt),
    startedAt: utcDateOrNull(row.startedAt),
    finishedAt: utcDateOrNull(row.finishedAt),
  };
}
