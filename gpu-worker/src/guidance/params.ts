// Reading rule and schedule parameters, with the model's calibrated defaults behind the request's
// values: one function per model-dependent default (the wire's own defaults live in shared).
import type { AgAfterLatch } from "@guidegate/shared";
import type { ModelGuidanceDefaults } from "./types.ts";

/** diffusers' guider default, used when neither the request nor the model gives a scale. */
export const FALLBACK_CFG_SCALE = 7.5;

/**
 * Used when neither the request nor calibration gives a threshold: high, so AG truncates late
 * rather than early (a premature latch cost the prototype half its quality; guidance matters early).
 */
export const AG_FALLBACK_THRESHOLD = 0.999;

/** The CFG scale: the request's, else the model's calibrated best, else diffusers' 7.5. */
export function cfgScale(requested: number | undefined, defaults: ModelGuidanceDefaults): number {
  return requested ?? defaults.scale ?? FALLBACK_CFG_SCALE;
}

/**
 * APG exists to run at scales CFG cannot: by default twice CFG's guidance strength (w − 1),
 * i.e. 2·w_cfg − 1 (HunyuanImage-2.1 pairs CFG 3.5 with APG 10, a larger ratio still).
 */
export function apgScale(requested: number | undefined, defaults: ModelGuidanceDefaults): number {
  return requested ?? 2 * cfgScale(undefined, defaults) - 1;
}

/**
 * APG's r, an absolute L2 norm in x0 space; 0 (no clamp) unless given or calibrated, since a
 * made-up r could silently cripple guidance on a model it was not tuned for.
 */
export function apgNormThreshold(requested: number | undefined, defaults: ModelGuidanceDefaults): number {
  return requested ?? defaults.apg_norm_threshold ?? 0;
}

/** CFG++'s λ: calibrated, else the model's CFG scale / 12.5 (a fork's CFG→CFG++ rule), else 0.6. */
export function cfgppScale(requested: number | undefined, defaults: ModelGuidanceDefaults): number {
  if (requested !== undefined) return requested;
  if (defaults.cfgpp_scale !== undefined) return defaults.cfgpp_scale;
  const w = defaults.scale;
  return w !== undefined ? Math.min(1, Math.max(0, w / 12.5)) : 0.6;
}

/** AG's latch threshold: the request's, else calibrated, else a late-latching fallback. */
export function agThreshold(requested: number | undefined, defaults: ModelGuidanceDefaults): number {
  return requested ?? defaults.ag_threshold ?? AG_FALLBACK_THRESHOLD;
}

/** Uncalibrated models get the paper's rule; calibration picks per model which rule is cheaper. */
export function agAfterLatch(requested: AgAfterLatch | undefined, defaults: ModelGuidanceDefaults): AgAfterLatch {
  return requested ?? defaults.ag_after_latch ?? "conditional";
}
