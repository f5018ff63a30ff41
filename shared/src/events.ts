// Job events: one tagged union on `event`, spoken by the worker to the edge and by the
// edge to clients of the native jobs API. The worker reports NFEs; the edge adds prices.
import { z } from "zod";
import { ErrorBodySchema } from "./errors.ts";

export const UsageSchema = z.object({ nfe: z.number().int().min(0), cost_micro_usd: z.number().min(0).optional() });
export type Usage = z.infer<typeof UsageSchema>;

export const ImageRefSchema = z.object({
  url: z.string().optional(),
  b64_json: z.string().optional(),
  key: z.string().optional(),
  width: z.number().int(),
  height: z.number().int(),
});
export type ImageRef = z.infer<typeof ImageRefSchema>;

export const JobEventSchema = z.discriminatedUnion("event", [
  z.object({ event: z.literal("queued"), position: z.number().int().min(0).optional() }),
  z.object({
    event: z.literal("started"),
    policy: z.string(),
    steps: z.number().int(),
    seed: z.number().int(),
    max_nfe: z.number().int(),
    n: z.number().int().optional(),
    worker: z.string().optional(),
  }),
  z.object({ event: z.literal("progress"), step: z.number().int(), steps: z.number().int(), nfe: z.number().int() }),
  z.object({
    event: z.literal("preview"),
    step: z.number().int(),
    index: z.number().int().default(0),
    b64_png: z.string(),
    width: z.number().int(),
    height: z.number().int(),
  }),
  z.object({ event: z.literal("retrying"), attempt: z.number().int(), reason: z.string() }),
  z.object({ event: z.literal("completed"), images: z.array(ImageRefSchema), seed: z.number().int(), usage: UsageSchema }),
  z.object({ event: z.literal("failed"), error: ErrorBodySchema, usage: UsageSchema.optional() }),
  z.object({ event: z.literal("cancelled"), usage: UsageSchema }),
]);
export type JobEvent = z.infer<typeof JobEventSchema>;
export type JobEventName = JobEvent["event"];
export const TERMINAL_EVENTS: ReadonlySet<JobEventName> = new Set(["completed", "failed", "cancelled"]);
export const isTerminal = (e: JobEvent): boolean => TERMINAL_EVENTS.has(e.event);
