// Builds the Prisma client on the pg driver adapter (the Rust-free client) and names
// the PostgreSQL errors that callers turn into domain answers.
import { PrismaPg } from '@prisma/adapter-pg';
import { Prisma, PrismaClient } from './generated/client';

export type Db = PrismaClient;
export type DbTransaction = Prisma.TransactionClient;

export function createDb(connectionString: string, options: { poolSize?: number } = {}): Db {
  const adapter = new PrismaPg({ connectionString, max: options.poolSize ?? 10 });
  return new PrismaClient({ adapter });
}

function hasCode(error: unknown, code: string): boolean {
  return error instanceof Prisma.PrismaClientKnownRequestError && error.code === code;
}

/** A unique constraint refused the write (Prisma P2002). */
export function isUniqueViolation(error: unknown): boolean {
  return hasCode(error, 'P2002');
}

/** A foreign key refused the write or delete (Prisma P2003, or P2014 for required relations). */
export function isForeignKeyViolation(error: unknown): boolean {
  return hasCode(error, 'P2003') || hasCode(error, 'P2014');
}
