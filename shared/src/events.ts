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

export const CompletedEventSchema = z.object({
  event: z.literal("completed"),
  images: z.array(ImageRefSchema),
  seed: z.number().int(),
  usage: UsageSchema,
});
export const FailedEventSchema = z.object({
  event: z.literal("failed"),
  error: ErrorBodySchema,
  usage: UsageSchema.optional(),
});
export const CancelledEventSchema = z.object({ event: z.literal("cancelled"), usage: UsageSchema });

/** The events that end a job: exactly one per job, and the only ones that carry final usage. */
export const TerminalEventSchema = z.discriminatedUnion("event", [
  CompletedEventSchema,
  FailedEventSchema,
  CancelledEventSchema,
]);
export type TerminalEvent = z.infer<typeof TerminalEventSchema>;

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
  CompletedEventSchema,
  FailedEventSchema,
  CancelledEventSchema,
]);
export type JobEvent = z.infer<typeof JobEventSchema>;
export type JobEventName = JobEvent["event"];
export type TerminalEventName = TerminalEvent["event"];
export const TERMINAL_EVENTS: ReadonlySet<JobEventName> = new Set<TerminalEventName>([
  "completed",
  "failed",
  "cancelled",
]);
export const isTerminal = (e: JobEvent): e is TerminalEvent => TERMINAL_EVENTS.has(e.event);

/** A job's status, on the worker and at the edge: queued, running, or the name of its terminal event. */
export const JobStatusSchema = z.enum(["queued", "running", "completed", "failed", "cancelled"]);
export type JobStatus = z.infer<typeof JobStatusSchema>;
const terminalNames: ReadonlySet<string> = TERMINAL_EVENTS;
/** A status no event follows: the job's terminal event has been written. */
export const isFinished = (s: JobStatus): s is TerminalEventName => terminalNames.has(s);
