// The internal contract between the edge and a GPU worker: the job the edge dispatches
// (already resolved: policy chosen, limits applied, seed fixed), the event stream it answers with
// (events.ts), the job's status and outcome, the cancel acknowledgement, and the worker's health
// with the models it serves, from which the edge learns what exists. Both sides validate.
import { z } from "zod";
import { MAX_EDIT_IMAGES, StrengthSchema } from "./edits.ts";
import { JobStatusSchema, TerminalEventSchema } from "./events.ts";
import { FrontierEntrySchema } from "./frontier.ts";
import { GuidanceSchema, PolicyNameSchema } from "./policies.ts";
import { OutputFormatSchema, SchedulerSchema } from "./request.ts";
import { REQUEST_ID_PATTERN, TRACEPARENT_PATTERN } from "./trace.ts";

/** The longest a worker keeps a job with no edge attached: ten minutes. */
export const MAX_DETACH_GRACE_MS = 600_000;

export const WorkerJobSchema = z.object({
  job_id: z.string().regex(/^[A-Za-z0-9_-]{8,64}$/),
  tenant: z.string().min(1).max(128),
  model: z.string().min(1),
  prompt: z.string().min(1),
  negative_prompt: z.string().optional(),
  n: z.number().int().min(1),
  width: z.number().int().min(1),
  height: z.number().int().min(1),
  steps: z.number().int().min(1),
  scheduler: SchedulerSchema.optional(),
  seed: z.number().int().min(0).max(0xffffffff),
  guidance: GuidanceSchema,
  max_nfe: z.number().int().min(1),
  preview_every: z.number().int().min(1).optional(),
  output_format: OutputFormatSchema.default("png"),
  response_format: z.enum(["url", "b64_json"]).default("url"),
  /**
   * An edit's source images, base64 PNG, JPEG or WebP (the edge read their headers; the worker
   * decodes and resizes them to the model's size). n is a multiple of their count: each is edited
   * n / count times, in order.
   */
  init_images: z.array(z.string().min(1)).min(1).max(MAX_EDIT_IMAGES).optional(),
  /** With init_images: the part of the schedule to run (runSteps). */
  strength: StrengthSchema.optional(),
  /** With init_images: base64 PNG, transparent (alpha 0) where to paint, as OpenAI's mask; for every image. */
  mask: z.string().min(1).optional(),
  /**
   * How long the job keeps running after its last event stream closed before the terminal event, waiting
   * for the edge to re-attach (POST again with Last-Event-ID). Absent or 0: the stream is the job's lease,
   * and closing it cancels the job at its next step. The jobs API sets it so a job outlives an edge restart.
   */
  detach_grace_ms: z.number().int().min(0).max(MAX_DETACH_GRACE_MS).optional(),
  /** The edge request that made the job (its x-request-id), for the worker's log lines. */
  request_id: z.string().regex(REQUEST_ID_PATTERN).optional(),
  /** W3C trace context of the edge's span, whose child the worker's run is. */
  traceparent: z.string().regex(TRACEPARENT_PATTERN).optional(),
});
export type WorkerJob = z.infer<typeof WorkerJobSchema>;

/** One model a worker serves, as the edge routes and lists it. */
export const ModelInfoSchema = z.object({
  id: z.string().min(1).max(100),
  sizes: z.array(z.string().regex(/^[1-9][0-9]*x[1-9][0-9]*$/)).min(1), // first one is the default
  policies: z.array(PolicyNameSchema).min(1),
  negative_prompt: z.boolean().default(true),
  description: z.string().optional(),
  /** The model's measured quality-per-NFE frontier (frontier.json), where it was calibrated. */
  frontier: z.array(FrontierEntrySchema).optional(),
});
export type ModelInfo = z.infer<typeof ModelInfoSchema>;
export const ModelsSchema = z.array(ModelInfoSchema).min(1);

export const WorkerHealthSchema = z.object({
  ok: z.boolean(),
  worker: z.string(),
  models: z.array(ModelInfoSchema),
  capacity: z.number().int(),
  running: z.number().int(),
  queued: z.number().int(),
  max_queue: z.number().int(),
  /** Set once the worker is shutting down (SIGTERM): it finishes what it runs and takes no new job.
   * Optional: workers from before it never say so. */
  draining: z.boolean().optional(),
});
export type WorkerHealth = z.infer<typeof WorkerHealthSchema>;

/** GET /internal/jobs/:id: where a job stands and, once it ended, its terminal event. */
export const JobOutcomeSchema = z.object({
  id: z.string(),
  status: JobStatusSchema,
  step: z.number().int().min(0),
  nfe: z.number().int().min(0),
  terminal: TerminalEventSchema.nullable(),
});
export type JobOutcome = z.infer<typeof JobOutcomeSchema>;

/** POST /internal/jobs/:id/cancel (202): where the generation stood when told; it ends within a step. */
export const CancelAckSchema = z.object({
  id: z.string(),
  cancelled: z.boolean(),
  step: z.number().int().min(0),
  nfe: z.number().int().min(0),
});
export type CancelAck = z.infer<typeof CancelAckSchema>;

export const INTERNAL_AUDIENCE = "gpu-worker";
/** Audience of the edge's health-scoped token: it reads GET /internal/health and names no job, so it starts none. */
export const INTERNAL_HEALTH_AUDIENCE = "gpu-worker-health";
export const INTERNAL_ISSUER = "guidegate-edge";

/**
 * The internal secret every local process (`npm start`, the tests) shares. It is public: a worker
 * falls back to it only outside production, and refuses it in production.
 */
export const DEV_INTERNAL_SECRET = "guidegate-dev-internal-secret";
