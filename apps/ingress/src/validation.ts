// Request validation with zod: a failed parse becomes the contract's 400
// `validation_failed` with one `{path, message}` per problem, and never echoes the input.
import { InvalidInputError } from '@agent-lifecycle/errors';
import { z } from 'zod';

export interface Problem {
  path: string;
  message: string;
}

export function parseInput<T>(schema: z.ZodType<T>, value: unknown, what = 'request body'): T {
  const parsed = schema.safeParse(value);
  if (parsed.success) return parsed.data;
  const problems: Problem[] = parsed.error.issues.slice(0, 20).map((issue) => ({
    path: issue.path.map(String).join('.') || '(root)',
    message: issue.message,
  }));
  throw new InvalidInputError('validation_failed', `The ${what} is invalid.`, problems);
}

/** Ids we issue (cuid) and the ones Stripe and the workflow send: short, URL-safe. */
export const ID_PATTERN = /^[A-Za-z0-9_-]{1,64}$/;
