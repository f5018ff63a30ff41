// CFG++ (Chung et al., arXiv 2406.08070): Tweedie with the λ-guided noise, renoise with the
// UNCONDITIONAL noise. The returned Prediction is deliberately inconsistent: x0 = D_λ, ε = ε_u.
//
// Why one pair serves every sampler here (guidance.md §4): DDIM computes √ᾱ'·x0 + √(1−ᾱ')·ε, the
// paper's form; Euler and Euler ancestral compute x0 + σ'·ε in the VE state, ComfyUI's
// euler(_ancestral)_cfg_pp; DPM++ 2M keeps the x0 implied by ε, i.e. D_u, as its history, which
// is ComfyUI's dpmpp_2m_cfg_pp. A sampler that rebuilt ε from x0 would silently get plain CFG at λ.
import { condOf, fromEps, x0Of } from "./convert.ts";
import { BranchStandIn } from "./stand_in.ts";
import type { GuidancePolicy, ModelGuidanceDefaults, PolicyFactory } from "./types.ts";
import { guide } from "./vector.ts";

/** λ when unset: calibrated, else the model's CFG scale / 12.5 (a fork's CFG→CFG++ rule), else 0.6. */
export function cfgppDefaultScale(defaults: ModelGuidanceDefaults): number {
  if (defaults.cfgpp_scale !== undefined) return defaults.cfgpp_scale;
  const w = defaults.scale;
  return w !== undefined ? Math.min(1, Math.max(0, w / 12.5)) : 0.6;
}

export const createCfgpp: PolicyFactory<"cfgpp"> = (params, defaults): GuidancePolicy => {
  const lambda = params.scale ?? cfgppDefaultScale(defaults);
  const uncond = new BranchStandIn();
  return {
    name: "cfgpp",
    branches: () => ["cond", "uncond"],
    combine(ctx, out) {
      if (ctx.step === 0) uncond.reset();
      const c = condOf(out, "cfgpp");
      // Missing uncond (NFE cap): the last direction rebuilds ε_u; with none yet, a plain cond step.
      const u = uncond.resolve(c, out.uncond);
      if (!u) return fromEps(c, ctx);
      return { x0: x0Of(guide(u, c, lambda), ctx), eps: u };
    },
  };
};
