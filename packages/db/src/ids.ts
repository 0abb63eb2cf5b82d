// Ids for the rows the hot paths insert, shaped like the cuids Prisma gives the others:
// "c", the time in base 36 (new rows sort after old ones), then 60 random bits in hex.
import { randomUUID } from 'node:crypto';

export function newId(): string {
  // randomUUID draws from a cached pool of entropy: far cheaper a call than randomBytes.
  const random = randomUUID();
  return `c${Date.now().toString(36)}${random.slice(0, 8)}${random.slice(9, 13)}${random.slice(14, 18)}`;
}
