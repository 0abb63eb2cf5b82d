// What our Hetzner client reads from an answer, and nothing more: zod schemas of the fields
// the Cloud port needs. Everything else the API sends is ignored, so new or removed fields
// elsewhere (2026: `datacenter`) cannot break us; a needed field missing is a clear error.
import { z } from 'zod';
import { PermanentError } from '@agent-lifecycle/errors';

/** Free-form text fields we only pass on: absent or of another type reads as undefined. */
const optionalText = z.string().optional().catch(undefined);

export const actionSchema = z.object({
  id: z.number().int(),
  command: z.string(),
  status: z.enum(['running', 'success', 'error']),
  progress: z.number().optional().catch(undefined),
  /** Needed only to find an action by when it started (adoption after a crash). */
  started: optionalText,
  error: z.object({ code: optionalText, message: optionalText }).nullish().catch(null),
});
export type ActionBody = z.infer<typeof actionSchema>;

export const serverSchema = z.object({
  id: z.number().int(),
  name: z.string(),
  /** Any string: a status this client does not know yet reads as `unknown`. */
  status: z.string(),
  labels: z.record(z.string(), z.string()).nullish().catch(null),
  public_net: z.object({ ipv4: z.object({ ip: z.string().nullish().catch(null) }).nullish().catch(null) }).nullish().catch(null),
  /** Read for a restore (the same type and location again); optional like everything a port needs only sometimes. */
  server_type: z.object({ name: z.string() }).nullish().catch(null),
  location: z.object({ name: z.string() }).nullish().catch(null),
});
export type ServerBody = z.infer<typeof serverSchema>;

export const imageSchema = z.object({
  id: z.number().int(),
  /** Any string: a status this client does not know yet reads as `unavailable`. */
  status: z.string(),
  image_size: z.number().nullish().catch(null),
  labels: z.record(z.string(), z.string()).nullish().catch(null),
  created_from: z.object({ id: z.number().int(), name: z.string() }).nullish().catch(null),
});
export type ImageBody = z.infer<typeof imageSchema>;

/** A price as Hetzner writes it (`"4.5101000000"`), as a number. */
const money = z
  .string()
  .transform(Number)
  .refine((value) => Number.isFinite(value), 'not an amount');

/** `meta.pagination.next_page` of a list; a list without it is one page. */
const pageMeta = z.object({ pagination: z.object({ next_page: z.number().int().nullish().catch(null) }).nullish().catch(null) }).nullish().catch(null);

export const serverAnswer = z.object({ server: serverSchema });
/** A server list read only for how many servers there are (the preflight). */
export const serverCountAnswer = z.object({ meta: z.object({ pagination: z.object({ total_entries: z.number().int().nullish().catch(null) }).nullish().catch(null) }).nullish().catch(null) });
export const serverListAnswer = z.object({ servers: z.array(serverSchema), meta: pageMeta });
export const actionAnswer = z.object({ action: actionSchema });
export const imageAnswer = z.object({ image: imageSchema });
export const imageListAnswer = z.object({ images: z.array(imageSchema), meta: pageMeta });
export const createImageAnswer = z.object({ image: imageSchema, action: actionSchema });
export const createServerAnswer = z.object({ server: serverSchema, action: actionSchema });
export const pricingAnswer = z.object({
  pricing: z.object({
    /** Hetzner bills in euros; an answer without a currency is read as such. */
    currency: z.string().catch('EUR'),
    image: z.object({ price_per_gb_month: z.object({ gross: money }) }),
    server_types: z.array(z.object({ name: z.string(), prices: z.array(z.object({ location: z.string(), price_monthly: z.object({ gross: money }) })) })),
  }),
});
export const actionListAnswer = z.object({ actions: z.array(actionSchema), meta: pageMeta });
/** A server's action history, where each action's start time is needed. */
export const startedActionListAnswer = z.object({
  actions: z.array(actionSchema.extend({ started: z.string().refine((value) => !Number.isNaN(Date.parse(value)), 'not a date') })),
  meta: pageMeta,
});

/** `server.public_net.ipv4` style names for a zod issue path. */
function fieldName(path: readonly PropertyKey[]): string {
  return path.map((part, index) => (typeof part === 'number' ? `[${part}]` : `${index === 0 ? '' : '.'}${String(part)}`)).join('') || 'body';
}

/**
 * The answer's fields, or PermanentError `unexpected_response` naming the first needed field
 * that is missing or malformed (sending the same request again would read the same answer).
 */
export function readAnswer<T>(schema: z.ZodType<T>, body: unknown, call: string): T {
  const parsed = schema.safeParse(body);
  if (parsed.success) return parsed.data;
  const issue = parsed.error.issues[0];
  const field = fieldName(issue?.path ?? []);
  const problem = issue?.message ?? 'malformed';
  throw new PermanentError('unexpected_response', `Hetzner ${call} failed: unexpected_response (field ${field}: ${problem})`, { field });
}
