// The public generation request (OpenAI Images compatible plus guidegate extensions).
import { z } from "zod";
import { MAX_EDIT_IMAGES, StrengthSchema } from "./edits.ts";
import { GuidanceSchema } from "./policies.ts";
import { WebhookUrlSchema } from "./webhooks.ts";

export const SCHEDULERS = ["ddim", "euler", "euler_a", "dpmpp_2m"] as const;
export const SchedulerSchema = z.enum(SCHEDULERS);
export type SchedulerName = z.infer<typeof SchedulerSchema>;

export const OutputFormatSchema = z.enum(["png", "jpeg", "webp"]);
export type OutputFormat = z.infer<typeof OutputFormatSchema>;

/**
 * Fields of OpenAI's images.generate that we accept so its SDK keeps working, validated as
 * OpenAI does, and ignore: shapes-32 has one quality, no alpha, no style; moderation is ours.
 */
export const OPENAI_IGNORED_FIELDS = {
  quality: z.enum(["auto", "standard", "hd", "low", "medium", "high"]),
  background: z.enum(["auto", "transparent", "opaque"]),
  moderation: z.enum(["auto", "low"]),
  output_compression: z.number().int().min(0).max(100),
  style: z.enum(["vivid", "natural"]),
} as const;

/** An image in a JSON body: plain base64 (no data: URL), PNG, JPEG or WebP; the edge reads its header. */
export const Base64ImageSchema = z
  .string()
  .min(1)
  .regex(/^[A-Za-z0-9+/]+={0,2}$/, "must be base64 image bytes (no data: URL, no URL)");

/** The longest a job may wait at the edge for a worker with room (queue_timeout_s). */
export const MAX_QUEUE_TIMEOUT_S = 3600;

// Strict: a misspelt field ("stpes") is refused by name instead of running, and billing, the default.
export const GenerationRequestSchema = z.strictObject({
  prompt: z
    .string()
    .max(4000)
    .refine((p) => p.trim().length > 0, "prompt must not be empty or only whitespace"),
  model: z.string().min(1).max(100).optional(),
  n: z.number().int().min(1).max(16).default(1),
  size: z
    .string()
    .regex(/^[1-9][0-9]{0,4}x[1-9][0-9]{0,4}$/, 'size must look like "32x32"')
    .optional(),
  response_format: z.enum(["url", "b64_json"]).default("url"),
  output_format: OutputFormatSchema.default("png"),
  stream: z.boolean().default(false),
  partial_images: z.number().int().min(0).max(3).default(0),
  negative_prompt: z.string().max(4000).optional(),
  seed: z.number().int().min(0).max(0xffffffff).optional(),
  steps: z.number().int().min(1).max(1000).optional(),
  scheduler: SchedulerSchema.optional(),
  guidance: GuidanceSchema.optional(),
  max_nfe: z.number().int().min(1).max(1_000_000).optional(),
  preview_every: z.number().int().min(1).max(1000).optional(),
  user: z.string().max(256).optional(), // OpenAI's end-user id: accepted, not stored
  webhook_url: WebhookUrlSchema.describe(
    "POST /v1/jobs only: also send this job's terminal event here, signed with GET /v1/webhook_secret's secret",
  ).optional(),
  queue_timeout_s: z
    .number()
    .int()
    .min(0)
    .max(MAX_QUEUE_TIMEOUT_S)
    .describe(
      "POST /v1/jobs only: when every worker is busy, wait this long for room (queued, with a position), then fail with queue_timeout; 0: answer 503 at once",
    )
    .optional(),
  image: z
    .union([Base64ImageSchema, z.array(Base64ImageSchema).min(1).max(MAX_EDIT_IMAGES)])
    .describe("POST /v1/images/edits and POST /v1/jobs: edit this image (or each of these, n times)")
    .optional(),
  mask: Base64ImageSchema.describe("with image: PNG, fully transparent where to paint").optional(),
  strength: StrengthSchema.describe("with image: the part of the schedule to run, 0 to 1 (default 1)").optional(),
  quality: OPENAI_IGNORED_FIELDS.quality.optional(),
  background: OPENAI_IGNORED_FIELDS.background.optional(),
  moderation: OPENAI_IGNORED_FIELDS.moderation.optional(),
  output_compression: OPENAI_IGNORED_FIELDS.output_compression.optional(),
  style: OPENAI_IGNORED_FIELDS.style.optional(),
});
export type GenerationRequest = z.infer<typeof GenerationRequestSchema>;

export function parseSize(size: string): { width: number; height: number } {
  const [w, h] = size.split("x").map(Number);
  return { width: w as number, height: h as number };
}

/** The source images a request edits, as a list (none for text-to-image). */
export function editImages(req: Pick<GenerationRequest, "image">): string[] {
  return req.image === undefined ? [] : typeof req.image === "string" ? [req.image] : req.image;
}
