// The internal contract between the edge and a GPU worker: the job the edge dispatches
// (already resolved: policy chosen, limits applied, seed fixed) and the worker's health.
import { z } from "zod";
import { OutputFormatSchema, SchedulerSchema } from "./request.ts";
import { GuidanceSchema } from "./policies.ts";

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
});
export type WorkerJob = z.infer<typeof WorkerJobSchema>;

export const WorkerHealthSchema = z.object({
  ok: z.boolean(),
  worker: z.string(),
  models: z.array(z.string()),
  capacity: z.number().int(),
  running: z.number().int(),
  queued: z.number().int(),
  max_queue: z.number().int(),
});
export type WorkerHealth = z.infer<typeof WorkerHealthSchema>;

export const INTERNAL_AUDIENCE = "gpu-worker";
export const INTERNAL_ISSUER = "guidegate-edge";
