// The measured quality-per-NFE frontier of a model (`npm run calibrate` writes frontier.json beside
// it; workers advertise the frontier points in health, so the edge can pick from them). Each point
// is a rule × schedule with its parameters, what it cost and how close it stayed to the rule's
// full-NFE output at the same seeds (label-free fidelity), plus adherence where a checker exists.
import { z } from "zod";
import { SchedulerSchema } from "./request.ts";
import { RuleSchema } from "./rules.ts";
import { ScheduleSchema } from "./schedules.ts";

export const FrontierPointSchema = z.object({
  rule: RuleSchema,
  schedule: ScheduleSchema,
  nfe_per_image: z.number().finite().min(0),
  /** Mean SSIM of the decoded images against the rule's schedule-`every` images (1 = identical). */
  ssim: z.number().finite().min(-1).max(1),
  /** Mean PSNR against the same references; capped where images are identical (infinite). */
  psnr_db: z.number().finite(),
  /** Fraction of prompts the model's evaluator accepts; absent on models without one. */
  adherence: z.number().finite().min(0).max(1).optional(),
  /** How many calibration prompts (never held-out ones) the figures were measured on; older files lack it. */
  prompts: z.number().int().min(1).optional(),
});
export type FrontierPoint = z.infer<typeof FrontierPointSchema>;

/** The frontier of one scheduler × step count, as health carries it: the Pareto points only. */
export const FrontierEntrySchema = z.object({
  scheduler: SchedulerSchema,
  steps: z.number().int().min(1),
  points: z.array(FrontierPointSchema).min(1),
});
export type FrontierEntry = z.infer<typeof FrontierEntrySchema>;

/** Spearman rank correlation between a fidelity measure and adherence over the candidates. */
export const FidelityCorrelationSchema = z.object({
  ssim: z.number().finite(),
  psnr: z.number().finite(),
  candidates: z.number().int(),
});
export type FidelityCorrelation = z.infer<typeof FidelityCorrelationSchema>;

/** One scheduler × step count in frontier.json: the frontier plus what the operator needs to judge it. */
export const FrontierReportSchema = FrontierEntrySchema.extend({
  prompts: z.number().int().min(1),
  /** The cheapest candidate of each schedule whose SSIM stays at or above the floor. */
  cheapest: z.record(z.string(), FrontierPointSchema),
  candidates: z.array(FrontierPointSchema),
  correlation: FidelityCorrelationSchema.optional(),
});
export type FrontierReport = z.infer<typeof FrontierReportSchema>;

export const FrontierFileSchema = z.object({
  model: z.string(),
  date: z.string(),
  /** The SSIM floor `cheapest` was chosen under. */
  ssim_floor: z.number().finite(),
  /** Keyed `${scheduler}:${steps}`, like calibration.json's linear_ag. */
  entries: z.record(z.string(), FrontierReportSchema),
});
export type FrontierFile = z.infer<typeof FrontierFileSchema>;

/** What health carries of a frontier file: only the Pareto points of each entry. */
export function frontierForHealth(f: FrontierFile): FrontierEntry[] {
  return Object.values(f.entries).map(({ scheduler, steps, points }) => ({ scheduler, steps, points }));
}
