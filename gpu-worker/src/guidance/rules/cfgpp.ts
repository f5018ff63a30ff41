// CFG++ (Chung et al., arXiv 2406.08070): Tweedie with the λ-guided noise, renoise with the
// UNCONDITIONAL noise. The returned Prediction is deliberately inconsistent: x0 = D_λ, ε = ε_u.
//
// Why one pair serves every sampler here (guidance.md §4): DDIM computes √ᾱ'·x0 + √(1−ᾱ')·ε, the
// paper's form; Euler and Euler ancestral compute x0 + σ'·ε in the VE state, ComfyUI's
// euler(_ancestral)_cfg_pp; DPM++ 2M keeps the x0 implied by ε, i.e. D_u, as its history, which
// is ComfyUI's dpmpp_2m_cfg_pp. A sampler that rebuilt ε from x0 would silently get plain CFG at λ.
import { RULE_EXTRAS } from "@guidegate/shared";
import { fromEps, x0Of } from "../convert.ts";
import { cfgppScale } from "../params.ts";
import type { RuleFactory } from "../types.ts";
import { guide } from "../vector.ts";

export const createCfgppRule: RuleFactory<"cfgpp"> = (params, defaults) => {
  const lambda = cfgppScale(params.scale, defaults);
  return {
    extras: RULE_EXTRAS.cfgpp,
    // With no uncond (none evaluated, none to stand in), a plain cond step.
    combine: (ctx, c, { uncond: u }) => (u ? { x0: x0Of(guide(u, c, lambda), ctx), eps: u } : fromEps(c, ctx)),
  };
};
