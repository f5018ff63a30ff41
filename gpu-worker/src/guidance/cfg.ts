// Classifier-free guidance (Ho & Salimans), Imagen form ε̂ = u + w·(c − u); a negative prompt
// is simply what the pipeline feeds the "uncond" branch. Optional rescale φ (Lin et al. §3.4).
import { condOf, fromEps, fromX0, x0Of } from "./convert.ts";
import { cfgScale } from "./params.ts";
import { BranchStandIn } from "./stand_in.ts";
import type { GuidancePolicy, PolicyFactory } from "./types.ts";
import { guide, scale, std } from "./vector.ts";

export const createCfg: PolicyFactory<"cfg"> = (params, defaults): GuidancePolicy => {
  const w = cfgScale(params.scale, defaults);
  const phi = params.rescale;
  const uncond = new BranchStandIn();
  return {
    name: "cfg",
    branches: () => ["cond", "uncond"],
    combine(ctx, out) {
      if (ctx.step === 0) uncond.reset();
      const c = condOf(out, "cfg");
      // Missing uncond (NFE cap): reuse the last direction, or plain cond before any exists.
      const u = uncond.resolve(c, out.uncond);
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
