// What calibration measured for one model (calibration.json beside it), parsed when the model
// loads so a hand-edited file fails there, naming the field, not as a NaN mid-trajectory.
// Every field is optional: an uncalibrated model falls back per parameter (params.ts).
import { AG_AFTER_LATCH } from "@guidegate/shared";
import { z } from "zod";

const coefficients = z.tuple([z.number().finite(), z.number().finite(), z.number().finite()]);

/** û_i = a_i·c_i + b_i·c_{i-1} + d_i·u_{i-1} (per step; null on steps that run uncond). */
export const LinearAgCoefficientsSchema = z.object({
  scale: z.number().finite(),
  steps: z.array(coefficients.nullable()),
});
export type LinearAgCoefficients = z.infer<typeof LinearAgCoefficientsSchema>;

/** Unknown keys (calibrate's `measured` report) are dropped, not refused. */
export const ModelGuidanceDefaultsSchema = z.object({
  scale: z.number().finite().optional(), // best CFG scale for the model
  cfgpp_scale: z.number().finite().optional(),
  apg_norm_threshold: z.number().finite().optional(),
  ag_threshold: z.number().finite().optional(),
  ag_after_latch: z.enum(AG_AFTER_LATCH).optional(),
  /** LinearAG per-step regression coefficients for (scheduler, steps), keyed `${scheduler}:${steps}`. */
  linear_ag: z.record(z.string(), LinearAgCoefficientsSchema).optional(),
});
export type ModelGuidanceDefaults = z.infer<typeof ModelGuidanceDefaultsSchema>;
