// The public generation request (OpenAI Images compatible plus guidegate extensions).
import { z } from "zod";
import { GuidanceSchema } from "./policies.ts";

export const SCHEDULERS = ["ddim", "euler", "euler_a", "dpmpp_2m"] as const;
export const SchedulerSchema = z.enum(SCHEDULERS);
export type SchedulerName = z.infer<typeof SchedulerSchema>;

export const OutputFormatSchema = z.enum(["png", "jpeg", "webp"]);
export type OutputFormat = z.infer<typeof OutputFormatSchema>;

export const GenerationRequestSchema = z.object({
  prompt: z.string().min(1, "prompt must not be empty").max(4000),
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
  user: z.string().max(256).optional(),
});
export type GenerationRequest = z.infer<typeof GenerationRequestSchema>;

export function parseSize(size: string): { width: number; height: number } {
  const [w, h] = size.split("x").map(Number);
  return { width: w as number, height: h as number };
}
