// The webhook part of /openapi.json: the endpoint and secret routes, the per-job delivery log, and the events
// themselves under OpenAPI 3.1's top-level `webhooks`. document.ts passes its helpers in, so both stay in step.
import { z } from "zod";
import { ErrorEnvelopeSchema, WebhookEndpointCreateSchema, WebhookEventTypeSchema } from "@guidegate/shared";

type Content = Record<string, { schema: { $ref: string } }>;
type Response = { description: string; content?: Content };

export interface OpenApiHelpers {
  schema(s: z.ZodType, io?: "input" | "output"): Record<string, unknown>;
  json(name: string): Content;
  err(description: string): Response;
  idParam: { name: string; in: string; required: boolean; schema: { type: string } };
  common: Record<"400" | "401" | "413" | "429", Response>;
}

const seconds = z.number().int().describe("Unix seconds");
const Endpoint = z.object({
  id: z.string(),
  object: z.literal("webhook_endpoint"),
  url: z.string(),
  events: z.array(WebhookEventTypeSchema),
  created_at: seconds,
  previous_secret_expires_at: seconds.nullable().describe("Until then the replaced secret also signs"),
});
const EndpointWithSecret = Endpoint.extend({ secret: z.string().describe("whsec_…; shown only in this response") });
const Secret = z.object({
  object: z.literal("webhook_secret"),
  secret: z.string(),
  previous_secret_expires_at: seconds.nullable(),
});
const Delivery = z.object({
  id: z.string().describe("The webhook-id header, the same on every attempt"),
  object: z.literal("webhook_delivery"),
  job_id: z.string(),
  event_type: WebhookEventTypeSchema,
  endpoint_id: z.string().nullable().describe("null: the job's own webhook_url"),
  url: z.string(),
  status: z.enum(["pending", "delivered", "failed"]),
  attempts: z.number().int(),
  created_at: seconds,
  next_attempt_at: seconds.nullable(),
  last_status: z.number().int().nullable(),
  last_error: z.string().nullable(),
  log: z.array(
    z.object({
      attempt: z.number().int(),
      at: seconds,
      status: z.number().int().nullable(),
      error: z.string().nullable(),
      duration_ms: z.number().int(),
    }),
  ),
});
const JobEventPayload = z.object({
  type: WebhookEventTypeSchema,
  timestamp: z.string().describe("ISO 8601: when the job finished"),
  data: z.object({
    id: z.string(),
    object: z.literal("job"),
    status: z.enum(["completed", "failed", "cancelled"]),
    created_at: seconds,
    finished_at: seconds.nullable(),
    model: z.string(),
    size: z.string(),
    n: z.number().int(),
    steps: z.number().int(),
    policy: z.string(),
    seed: z.number().int(),
    usage: z.object({ nfe: z.number().int(), cost_micro_usd: z.number() }),
    images: z.array(z.object({ url: z.string().nullable(), width: z.number().int(), height: z.number().int() })),
    error: ErrorEnvelopeSchema.shape.error.nullable(),
  }),
});

const list = (item: z.ZodType) => z.object({ object: z.literal("list"), data: z.array(item) });

const signatureHeaders = [
  { name: "webhook-id", in: "header", required: true, schema: { type: "string" }, description: "Same on every retry" },
  {
    name: "webhook-timestamp",
    in: "header",
    required: true,
    schema: { type: "string" },
    description: "Unix seconds of this attempt",
  },
  {
    name: "webhook-signature",
    in: "header",
    required: true,
    schema: { type: "string" },
    description: "Space-separated `v1,<base64 HMAC-SHA256>` of `{id}.{timestamp}.{body}`; two after a rotation",
  },
];

export function webhookOpenApi(h: OpenApiHelpers) {
  const notFound = (what: string) => ({ "401": h.common["401"], "404": h.err(`Unknown ${what}`) });
  const event = (type: string, summary: string) => ({
    post: {
      summary,
      description: `A signed POST of \`${type}\` (Standard Webhooks). Answer 2xx within 10 s; anything else is retried.`,
      parameters: signatureHeaders,
      requestBody: { required: true, content: h.json("JobWebhookEvent") },
      responses: { "2XX": { description: "Received" } },
    },
  });
  return {
    paths: {
      "/v1/webhook_endpoints": {
        post: {
          summary: "Register a webhook endpoint (its secret is shown once)",
          requestBody: { required: true, content: h.json("WebhookEndpointCreate") },
          responses: {
            "201": { description: "The endpoint, with its secret", content: h.json("WebhookEndpointWithSecret") },
            ...h.common,
          },
        },
        get: {
          summary: "The caller's webhook endpoints (no secrets)",
          responses: {
            "200": { description: "Endpoints", content: h.json("WebhookEndpointList") },
            "401": h.common["401"],
          },
        },
      },
      "/v1/webhook_endpoints/{id}": {
        delete: {
          summary: "Delete an endpoint; its pending deliveries fail",
          parameters: [h.idParam],
          responses: { "200": { description: "Deleted" }, ...notFound("endpoint") },
        },
      },
      "/v1/webhook_endpoints/{id}/rotate_secret": {
        post: {
          summary: "New secret (shown once); the old one also signs for 24 h",
          parameters: [h.idParam],
          responses: {
            "200": { description: "The endpoint, with its new secret", content: h.json("WebhookEndpointWithSecret") },
            ...notFound("endpoint"),
          },
        },
      },
      "/v1/webhook_secret": {
        get: {
          summary: "The secret that signs per-job webhook_url deliveries (created on first read)",
          responses: { "200": { description: "Secret", content: h.json("WebhookSecret") }, "401": h.common["401"] },
        },
      },
      "/v1/webhook_secret/rotate": {
        post: {
          summary: "Rotate the per-job secret; the old one also signs for 24 h",
          responses: { "200": { description: "Secret", content: h.json("WebhookSecret") }, "401": h.common["401"] },
        },
      },
      "/v1/jobs/{id}/webhook_deliveries": {
        get: {
          summary: "A job's webhook deliveries and every attempt",
          parameters: [h.idParam],
          responses: {
            "200": { description: "Deliveries", content: h.json("WebhookDeliveryList") },
            ...notFound("job"),
          },
        },
      },
    },
    webhooks: {
      "job.completed": event("job.completed", "A job completed: usage and image URLs"),
      "job.failed": event("job.failed", "A job failed (nothing billed)"),
      "job.cancelled": event("job.cancelled", "A job was cancelled: usage is what it spent"),
    },
    schemas: {
      WebhookEndpointCreate: h.schema(WebhookEndpointCreateSchema, "input"),
      WebhookEndpointWithSecret: h.schema(EndpointWithSecret),
      WebhookEndpointList: h.schema(list(Endpoint)),
      WebhookSecret: h.schema(Secret),
      WebhookDeliveryList: h.schema(list(Delivery)),
      JobWebhookEvent: h.schema(JobEventPayload),
    },
  };
}
