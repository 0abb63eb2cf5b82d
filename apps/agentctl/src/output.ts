// Readable output for people: aligned tables and key/value blocks, dates in UTC without
// milliseconds, and a dash for anything missing.

export type Cell = string | number | null | undefined;

const dash = (value: Cell): string => (value === null || value === undefined || value === '' ? '-' : String(value));

/** `2026-11-29T11:34:02.123Z` → `2026-11-29 11:34:02Z`. */
export function shortDate(iso: string | null | undefined): string {
  if (!iso) return '-';
  return `${iso.slice(0, 19).replace('T', ' ')}Z`;
}

export function table(headers: string[], rows: Cell[][]): string {
  const cells = rows.map((row) => headers.map((_, index) => dash(row[index])));
  const widths = headers.map((header, index) => Math.max(header.length, ...cells.map((row) => (row[index] ?? '').length)));
  const line = (row: string[]) => row.map((cell, index) => (index === row.length - 1 ? cell : cell.padEnd(widths[index] ?? 0))).join('  ');
  return [line(headers), ...cells.map(line)].join('\n');
}

export function keyValues(entries: [string, Cell][]): string {
  const width = Math.max(...entries.map(([key]) => key.length));
  return entries.map(([key, value]) => `${key.padEnd(width)}  ${dash(value)}`).join('\n');
}
