// Ids for the rows the hot paths insert, shaped like the cuids Prisma gives the others:
// "c", the time in base 36 (new rows sort after old ones), then 80 random bits.
import { randomBytes } from 'node:crypto';

const ALPHABET = '0123456789abcdefghijklmnopqrstuv';

export function newId(): string {
  let tail = '';
  // Five bits a character: 16 characters of base 32.
  for (const byte of randomBytes(16)) tail += ALPHABET[byte & 31];
  return `c${Date.now().toString(36)}${tail}`;
}
