// Signed webhooks (Standard Webhooks): the events a tenant can subscribe to and the body that registers an
// endpoint. The edge signs; receivers verify with any Standard Webhooks library.
import { z } from "zod";

export const WebhookEventTypeSchema = z.enum(["job.completed", "job.failed", "job.cancelled"]);
export type WebhookEventType = z.infer<typeof WebhookEventTypeSchema>;
export const WEBHOOK_EVENT_TYPES: readonly WebhookEventType[] = WebhookEventTypeSchema.options;

/** http(s) URLs only; the edge's own rules (no credentials, public addresses in production) come after. */
export const WebhookUrlSchema = z
  .string()
  .max(2048)
  .refine((u) => /^https?:\/\//i.test(u) && URL.canParse(u), "must be an absolute http or https URL");

// Strict like every request body: a misspelt "event" is refused by name instead of subscribing to everything.
export const WebhookEndpointCreateSchema = z.strictObject({
  url: WebhookUrlSchema,
  /** Which events this endpoint receives; all of them when absent. */
  events: z.array(WebhookEventTypeSchema).min(1).optional(),
});
export type WebhookEndpointCreate = z.infer<typeof WebhookEndpointCreateSchema>;
