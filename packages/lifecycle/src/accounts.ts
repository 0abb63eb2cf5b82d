// Users and their API tokens. A token is shown once; only its SHA-256 is stored, and a
// presented token is found by that hash (an index lookup, no secret compared in JS).
import { createHash, randomBytes } from 'node:crypto';
import { ConflictError, NotFoundError } from '@agent-lifecycle/errors';
import { findUserByEmail, findUserByTokenHash, insertApiToken, insertUser, isUniqueViolation, type Db, type User } from '@agent-lifecycle/db';

const TOKEN_PREFIX = 'al_';

export function hashToken(token: string): string {
  return createHash('sha256').update(token, 'utf8').digest('hex');
}

function newToken(): string {
  return `${TOKEN_PREFIX}${randomBytes(24).toString('base64url')}`;
}

export async function issueToken(db: Db, userId: string): Promise<string> {
  const token = newToken();
  await insertApiToken(db, { userId, tokenHash: hashToken(token), prefix: token.slice(0, 8) });
  return token;
}

export async function createUser(db: Db, input: { email: string; stripeCustomerId?: string }): Promise<{ user: User; token: string }> {
  try {
    const user = await insertUser(db, { email: input.email.toLowerCase(), stripeCustomerId: input.stripeCustomerId ?? null });
    return { user, token: await issueToken(db, user.id) };
  } catch (error) {
    if (isUniqueViolation(error)) throw new ConflictError('user_exists', `A user with that email or Stripe customer already exists.`);
    throw error;
  }
}

export async function issueTokenByEmail(db: Db, email: string): Promise<{ user: User; token: string }> {
  const user = await findUserByEmail(db, email.toLowerCase());
  if (!user) throw new NotFoundError('user_not_found', `No user with email ${email}.`);
  return { user, token: await issueToken(db, user.id) };
}

/** The user a bearer token belongs to, or null for an unknown or revoked token. */
export async function authenticate(db: Db, token: string): Promise<User | null> {
  if (!token.startsWith(TOKEN_PREFIX) || token.length > 200) return null;
  return findUserByTokenHash(db, hashToken(token));
}
