// Users and API tokens as stored. A presented token is found by its SHA-256 (an index lookup,
// on the path of every user request); creating users and tokens is an operator's cold path.
import type { Db } from './client';
import type { User } from './generated/client';
import { prepare, type Placeholders } from './prepared';

const userByTokenHash = prepare((db, p: Placeholders<{ tokenHash: string }>) =>
  db.selectFrom('ApiToken').innerJoin('User', 'User.id', 'ApiToken.userId').selectAll('User').where('ApiToken.tokenHash', '=', p.tokenHash).where('ApiToken.revokedAt', 'is', null),
);

/** The user a live (not revoked) token hash belongs to. */
export async function findUserByTokenHash(db: Db, tokenHash: string): Promise<User | null> {
  const [user] = await userByTokenHash(db, { tokenHash });
  return user ?? null;
}

export function findUserByEmail(db: Db, email: string): Promise<User | null> {
  return db.user.findUnique({ where: { email } });
}

/** Creates a user; a taken email or Stripe customer is a unique violation. */
export function insertUser(db: Db, user: { email: string; stripeCustomerId: string | null }): Promise<User> {
  return db.user.create({ data: user });
}

export async function insertApiToken(db: Db, token: { userId: string; tokenHash: string; prefix: string }): Promise<void> {
  await db.apiToken.create({ data: token });
}
