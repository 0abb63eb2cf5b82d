// PostgreSQL text cannot hold NUL; a signed payload carrying one must be refused as bad
// input (400) rather than fail the database write (500).
export function findNulCharacter(value: unknown, depth = 0): boolean {
  if (depth > 64) return false;
  if (typeof value === 'string') return value.includes('\u0000');
  if (Array.isArray(value)) return value.some((item) => findNulCharacter(item, depth + 1));
  if (value !== null && typeof value === 'object') {
    return Object.entries(value).some(([key, item]) => key.includes('\u0000') || findNulCharacter(item, depth + 1));
  }
  return false;
}
