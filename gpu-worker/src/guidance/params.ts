// Reading policy parameters, with the model's calibrated defaults behind the request's values.
import type { ModelGuidanceDefaults } from "./types.ts";

/** diffusers' guider default, used when neither the request nor the model gives a scale. */
export const FALLBACK_CFG_SCALE = 7.5;

/** The CFG scale: the request's, else the model's calibrated best, else diffusers' 7.5. */
export function cfgScale(requested: number | undefined, defaults: ModelGuidanceDefaults): number {
  return requested ?? defaults.scale ?? FALLBACK_CFG_SCALE;
}
