// The body of a provisioning workflow callback (POST /api/webhooks/github), as the workflow
// sends it: one zod schema, so the ingress validates, the lifecycle reads and the simulator
// sends exactly the same shape. Unknown fields are dropped: the workflow may report more.
import { z } from 'zod';

/** Ids we issue (cuid) and the ones the workflow sends back: short, URL-safe. */
const ID = /^[A-Za-z0-9_-]{1,64}$/;

/** A string PostgreSQL can store: no NUL character, at most `max` characters. */
const text = (max: number) =>
  z
    .string()
    .max(max)
    .refine((value) => !value.includes('\u0000'), { message: 'must not contain NUL characters' });

export const provisioningCallbackSchema = z.object({
  job_id: z.string().regex(ID, 'must be a provisioning job id'),
  status: z.enum(['running', 'completed', 'failed']),
  step: text(64).optional(),
  server_id: z.number().int().positive().max(Number.MAX_SAFE_INTEGER).optional(),
  tailscale_device_id: text(128).optional(),
  tailscale_hostname: text(253).optional(),
  ipv4: z.ipv4().optional(),
  error: text(2_000).optional(),
});

export type ProvisioningCallback = z.infer<typeof provisioningCallbackSchema>;
