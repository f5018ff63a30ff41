// Classifier-free guidance (Ho & Salimans, arXiv 2207.12598), Imagen form ε̂ = u + w·(c − u); a
// negative prompt is simply what the pipeline feeds the "uncond" branch. Optional rescale φ
// (Lin et al., arXiv 2305.08891 §3.4).
import { RULE_EXTRAS } from "@guidegate/shared";
import { fromEps, fromX0, x0Of } from "../convert.ts";
import { cfgScale } from "../params.ts";
import type { RuleFactory } from "../types.ts";
import { guide, scale, std } from "../vector.ts";

export const createCfgRule: RuleFactory<"cfg"> = (params, defaults) => {
  const w = cfgScale(params.scale, defaults);
  const phi = params.rescale;
  return {
    extras: RULE_EXTRAS.cfg,
    combine(ctx, c, { uncond: u }) {
      if (!u) return fromEps(c, ctx);
      const guided = guide(u, c, w);
      if (phi <= 0) return fromEps(guided, ctx);
      return fromX0(rescaleToCond(x0Of(guided, ctx), x0Of(c, ctx), phi), ctx);
    },
  };
};

/**
 * g·(φ·std(c)/std(g) + 1 − φ), computed on x0 rather than on ε (diffusers) or v (the paper):
 * the std being matched is then the image's, and φ means the same for ε and v models.
 */
export function rescaleToCond(guided: Float32Array, cond: Float32Array, phi: number): Float32Array {
  const stdGuided = std(guided);
  if (stdGuided === 0) return guided;
  return scale(guided, (phi * std(cond)) / stdGuided + 1 - phi);
}
