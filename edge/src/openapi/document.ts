// The OpenAPI 3.1 document, built by hand around JSON Schemas generated from the shared zod
// schemas, so the published contract cannot drift from what the edge validates.
import { adminOpenApi } from "./admin.ts";
import { z } from "zod";
import {
  ErrorEnvelopeSchema,
  GenerationRequestSchema,
  GuidanceSchema,
  JobEventSchema,
  JobStatusSchema,
  PolicyNameSchema,
  RuleNameSchema,
  RuleSchema,
  ScheduleNameSchema,
  SchedulerSchema,
  ScheduleSchema,
  USAGE_CSV_COLUMNS,
  UsageQuerySchema,
  UsageReportSchema,
  UsageSchema,
} from "@guidegate/shared";
import type { EdgeConfig } from "../config.ts";
import { webhookOpenApi } from "./webhooks.ts";

const PriceUsage = z.object({ nfe: z.number().int(), cost_micro_usd: z.number() });

const GenerationResponse = z.object({
  created: z.number().int(),
  id: z.string(),
  seed: z.number().int(),
  data: z.array(z.object({ url: z.string().optional(), b64_json: z.string().optional() })),
  usage: PriceUsage,
});

const ImageFields = {
  b64_json: z.string(),
  created_at: z.number().int(),
  size: z.string(),
  quality: z.string(),
  background: z.string(),
  output_format: z.string(),
};
const PartialImageEvent = z.object({
  type: z.literal("image_generation.partial_image"),
  partial_image_index: z.number().int(),
  ...ImageFields,
});
const CompletedEvent = z.object({ type: z.literal("image_generation.completed"), usage: PriceUsage, ...ImageFields });
// An edit's stream carries the same fields under OpenAI's image_edit.* names.
const EditPartialImageEvent = PartialImageEvent.extend({ type: z.literal("image_edit.partial_image") });
const EditCompletedEvent = CompletedEvent.extend({ type: z.literal("image_edit.completed") });

const JobCreated = z.object({ id: z.string(), object: z.literal("job"), status: z.string(), events_url: z.string() });
const Job = z.object({
  id: z.string(),
  object: z.literal("job"),
  status: JobStatusSchema,
  created_at: z.number().int(),
  finished_at: z.number().int().nullable(),
  model: z.string(),
  size: z.string(),
  n: z.number().int(),
  steps: z.number().int(),
  policy: z.string(),
  seed: z.number().int(),
  max_nfe: z.number().int(),
  events_url: z.string(),
  result: z
    .object({
      images: z.array(z.object({ url: z.string().optional(), width: z.number(), height: z.number() })),
      seed: z.number(),
    })
    .nullable(),
  usage: PriceUsage,
  error: ErrorEnvelopeSchema.shape.error.nullable(),
  position: z
    .number()
    .int()
    .min(1)
    .optional()
    .describe("while status is queued: its place in line for a worker with room (1 = next)"),
});
const PoliciesResponse = z.object({
  object: z.literal("list"),
  tier: z.string(),
  budget: z.object({
    nfe_fraction_max: z.number(),
    quality_floor: z.number().optional(),
    nfe_per_image_max: z.number(),
  }),
  default_guidance: z
    .object({ guidance: GuidanceSchema, steps: z.number().int(), scheduler: SchedulerSchema.optional() })
    .optional(),
  limits: z.object({ max_steps: z.number().int(), max_n: z.number().int() }),
  price_micro_usd_per_nfe: z.number(),
  data: z.array(
    z.object({
      policy: PolicyNameSchema,
      default: z.boolean(),
      nfe_per_step_bound: z.number(),
      max_cost_micro_usd_per_step: z.number(),
      models: z.array(z.string()),
    }),
  ),
  rules: z.array(z.object({ rule: RuleNameSchema, extra_branches: z.number().int() })),
  schedules: z.array(ScheduleNameSchema),
});
const FrontierRow = z.object({
  scheduler: SchedulerSchema,
  steps: z.number().int(),
  rule: RuleSchema,
  schedule: ScheduleSchema,
  nfe_per_image: z.number(),
  nfe_per_image_bound: z.number(),
  ssim: z.number(),
  psnr_db: z.number(),
  adherence: z.number().optional(),
  measured_on: z.object({ prompt_set: z.literal("calibration"), prompts: z.number().int().optional() }),
});
const ModelGuidanceResponse = z.object({
  object: z.literal("model.guidance"),
  model: z.string(),
  default_steps: z.number().int(),
  reference_nfe_per_image: z.number(),
  frontier: z.array(FrontierRow),
  tiers: z.array(
    z.object({
      tier: z.string(),
      budget: PoliciesResponse.shape.budget,
      resolves_to: z.object({
        source: z.enum(["frontier", "safe_default"]),
        guidance: GuidanceSchema,
        scheduler: SchedulerSchema.optional(),
        steps: z.number().int(),
        nfe_per_image_bound: z.number(),
        nfe_per_image: z.number().optional(),
        ssim: z.number().optional(),
        adherence: z.number().optional(),
      }),
    }),
  ),
});
const ModelsResponse = z.object({
  object: z.literal("list"),
  data: z.array(
    z.object({
      id: z.string(),
      object: z.literal("model"),
      sizes: z.array(z.string()),
      policies: z.array(PolicyNameSchema),
    }),
  ),
});

function schema(s: z.ZodType, io: "input" | "output" = "output"): Record<string, unknown> {
  const { $schema: _drop, ...rest } = z.toJSONSchema(s, { io, unrepresentable: "any" }) as Record<string, unknown>;
  return rest;
}

const ref = (name: string) => ({ $ref: `#/components/schemas/${name}` });
const json = (name: string) => ({ "application/json": { schema: ref(name) } });
const err = (description: string) => ({ description, content: json("ErrorEnvelope") });
const bearer = [{ bearer: [] }];
const idParam = { name: "id", in: "path", required: true, schema: { type: "string" } };
const idemHeader = {
  name: "Idempotency-Key",
  in: "header",
  required: false,
  description:
    "Same key and body within 24 h returns the first response (or joins the job it started), billed once; callers arriving while the first is answered get its answer, a refusal included; another body: 422; still running: 409.",
  schema: { type: "string", maxLength: 255 },
};
const periodParam = {
  name: "period",
  in: "query",
  required: false,
  description: "The month to report, UTC, as YYYY-MM; default the current one.",
  schema: schema(UsageQuerySchema.shape.period.unwrap()),
};
const CSV_DESCRIPTION = [
  `Header row, then one row per settled job by reservation time: ${USAGE_CSV_COLUMNS.map((c) => `\`${c}\``).join(", ")}.`,
  "Times are ISO 8601 UTC; `late_settled` is true for a job settled after its lease expired.",
].join(" ");
const common = {
  "400": err("Invalid request (param names the field)"),
  "401": err("Missing or invalid bearer token"),
  "413": err("Body too large"),
  "429": err("Rate limited, or over the tier's jobs running and waiting (`too_many_jobs`); Retry-After"),
};

export function openApiDocument(config: Pick<EdgeConfig, "publicBaseUrl">) {
  const hooks = webhookOpenApi({ schema, json, err, idParam, common });
  const admin = adminOpenApi({ schema, json, err, idParam, common });
  return {
    openapi: "3.1.0",
    info: {
      title: "guidegate API",
      version: "1.0.0",
      description: "Guided text-to-image diffusion billed per NFE (one denoiser evaluation for one image at one step).",
    },
    ...(config.publicBaseUrl ? { servers: [{ url: config.publicBaseUrl }] } : {}),
    security: bearer,
    paths: {
      "/v1/images/generations": {
        post: {
          summary: "Generate images (OpenAI Images compatible)",
          description:
            "Without `stream`: JSON. With `stream: true`: SSE whose `data:` objects carry `type` image_generation.partial_image / image_generation.completed; a mid-stream failure is a data object with an `error` key. Dropping the connection cancels the generation.",
          parameters: [idemHeader],
          requestBody: { required: true, content: json("GenerationRequest") },
          responses: {
            "200": {
              description: "Generated images, or an event stream when stream is true",
              content: {
                ...json("GenerationResponse"),
                "text/event-stream": { schema: { oneOf: [ref("PartialImageEvent"), ref("CompletedEvent")] } },
              },
            },
            ...common,
            "402": err("Monthly NFE quota exhausted (`x-should-retry: false`)"),
            "415": err("Body not sent as `application/json`"),
            "403": err("Policy or limit not in the caller's tier"),
            "409": err("Idempotency-Key still running"),
            "422": err("Idempotency-Key reused with another body"),
            "503": err("No worker capacity (Retry-After)"),
          },
        },
      },
      "/v1/images/edits": {
        post: {
          summary: "Edit images (OpenAI Images compatible): img2img by strength, inpainting by mask",
          description:
            "multipart/form-data as OpenAI's (`image` / `image[]` and `mask` as files, `guidance` as a JSON string), or the JSON body with base64 `image` and `mask`. Runs the last ceil(strength × steps) steps and reserves only those. Streams carry `type` image_edit.partial_image / image_edit.completed.",
          parameters: [idemHeader],
          requestBody: {
            required: true,
            content: { "multipart/form-data": { schema: ref("GenerationRequest") }, ...json("GenerationRequest") },
          },
          responses: {
            "200": {
              description: "Edited images, or an event stream when stream is true",
              content: {
                ...json("GenerationResponse"),
                "text/event-stream": { schema: { oneOf: [ref("EditPartialImageEvent"), ref("EditCompletedEvent")] } },
              },
            },
            ...common,
            "402": err("Monthly NFE quota exhausted (`x-should-retry: false`)"),
            "403": err("Policy or limit not in the caller's tier"),
            "409": err("Idempotency-Key still running"),
            "413": err("Body over GG_EDIT_BODY_LIMIT_BYTES"),
            "422": err("Idempotency-Key reused with another body"),
            "503": err("No worker capacity (Retry-After)"),
          },
        },
      },
      "/v1/jobs": {
        post: {
          summary: "Start a generation job",
          parameters: [idemHeader],
          requestBody: { required: true, content: json("GenerationRequest") },
          responses: {
            "202": {
              description: "Job accepted; with every worker busy it waits queued (up to queue_timeout_s)",
              content: json("JobCreated"),
            },
            ...common,
            "402": err("Monthly NFE quota exhausted"),
            "415": err("Body not sent as `application/json`"),
            "403": err("Policy or limit not in the caller's tier"),
            "404": err("Idempotency-Key replayed after its job's record expired (`job_expired`)"),
            "409": err("Idempotency-Key held by a request elsewhere that did not finish in time"),
            "422": err("Idempotency-Key reused with another body"),
            "503": err("No worker capacity and queue_timeout_s: 0 (Retry-After)"),
          },
        },
      },
      "/v1/jobs/{id}": {
        get: {
          summary: "A job's status, result and usage",
          parameters: [idParam],
          responses: {
            "200": { description: "The job", content: json("Job") },
            "401": common["401"],
            "404": err("Unknown job"),
          },
        },
      },
      "/v1/jobs/{id}/events": {
        get: {
          summary: "SSE of the job's events",
          description:
            "Every event has `id:` (per-job sequence), `event:` and JSON `data:`. Replays from the start or after Last-Event-ID (header or `last_event_id` query), then follows live; ends after the terminal event, or when the job ends for a Last-Event-ID at or past the end. `: keep-alive` comments every 15 s. Accepts `access_token` in the query for EventSource.",
          parameters: [
            idParam,
            { name: "Last-Event-ID", in: "header", required: false, schema: { type: "string" } },
            { name: "last_event_id", in: "query", required: false, schema: { type: "string" } },
            { name: "access_token", in: "query", required: false, schema: { type: "string" } },
          ],
          responses: {
            "200": { description: "Event stream", content: { "text/event-stream": { schema: ref("JobEvent") } } },
            "204": { description: "The job has ended and nothing is left after Last-Event-ID" },
            "401": common["401"],
            "404": err("Unknown job"),
            "429": err("The caller holds as many open event streams as it may (`too_many_streams`)"),
            "503": err("The gateway holds as many event streams as it can (`stream_capacity`)"),
          },
        },
      },
      "/v1/jobs/{id}/cancel": {
        post: {
          summary: "Cancel a job at its next step; its usage is what it spent",
          parameters: [idParam],
          responses: {
            "202": { description: "Cancel requested", content: json("Job") },
            "401": common["401"],
            "404": err("Unknown job"),
          },
        },
      },
      "/v1/usage": {
        get: {
          summary: "NFEs used, reserved and left in a month, what they were billed, by day and by policy",
          parameters: [periodParam],
          responses: {
            "200": { description: "Usage", content: json("UsageResponse") },
            "400": err("`period` is not a month as YYYY-MM"),
            "401": common["401"],
          },
        },
      },
      "/v1/usage/export.csv": {
        get: {
          summary: "The month's settled jobs as CSV (RFC 4180); its cost column sums to /v1/usage's cost",
          description: CSV_DESCRIPTION,
          parameters: [periodParam],
          responses: {
            "200": { description: "CSV", content: { "text/csv": { schema: { type: "string" } } } },
            "400": err("`period` is not a month as YYYY-MM"),
            "401": common["401"],
          },
        },
      },
      "/v1/models": {
        get: {
          summary: "Models",
          responses: { "200": { description: "Models", content: json("ModelsResponse") }, "401": common["401"] },
        },
      },
      "/v1/models/{id}/guidance": {
        get: {
          summary: "The model's measured guidance frontier and what each tier resolves to on it",
          parameters: [idParam],
          responses: {
            "200": { description: "Frontier and tiers", content: json("ModelGuidanceResponse") },
            "401": common["401"],
            "404": err("Unknown model"),
          },
        },
      },
      "/v1/policies": {
        get: {
          summary: "Guidance policies the caller's tier may use, with NFE bounds per step",
          responses: { "200": { description: "Policies", content: json("PoliciesResponse") }, "401": common["401"] },
        },
      },
      ...hooks.paths,
      ...admin.paths,
      "/healthz": { get: { summary: "Liveness", security: [], responses: { "200": { description: "OK" } } } },
      "/openapi.json": {
        get: { summary: "This document", security: [], responses: { "200": { description: "OpenAPI 3.1" } } },
      },
    },
    webhooks: hooks.webhooks,
    components: {
      securitySchemes: {
        bearer: { type: "http", scheme: "bearer", description: "A JWT, or an API key (gg_live_...)" },
        ...admin.securityScheme,
      },
      schemas: {
        GenerationRequest: schema(GenerationRequestSchema, "input"),
        GenerationResponse: schema(GenerationResponse),
        PartialImageEvent: schema(PartialImageEvent),
        CompletedEvent: schema(CompletedEvent),
        EditPartialImageEvent: schema(EditPartialImageEvent),
        EditCompletedEvent: schema(EditCompletedEvent),
        JobCreated: schema(JobCreated),
        Job: schema(Job),
        JobEvent: schema(JobEventSchema),
        Usage: schema(UsageSchema),
        UsageResponse: schema(UsageReportSchema),
        PoliciesResponse: schema(PoliciesResponse),
        ModelsResponse: schema(ModelsResponse),
        ModelGuidanceResponse: schema(ModelGuidanceResponse),
        ErrorEnvelope: schema(ErrorEnvelopeSchema),
        ...hooks.schemas,
        ...admin.schemas,
      },
    },
  };
}
