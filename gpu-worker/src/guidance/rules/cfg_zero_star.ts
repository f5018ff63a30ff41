// CFG-Zero* (Fan et al., arXiv 2503.18886): per-sample optimized scale α* = ⟨c,u⟩/‖u‖² and
// pred = α*·u + w·(c − α*·u); the first zero_init_steps steps output "zero" and cost no NFE.
import { RULE_EXTRAS, ruleIdleStep } from "@guidegate/shared";
import type { Prediction } from "../../schedulers/types.ts";
import { fromEps } from "../convert.ts";
import { cfgScale } from "../params.ts";
import type { RuleFactory, StepContext } from "../types.ts";
import { dot } from "../vector.ts";

export const createCfgZeroStarRule: RuleFactory<"cfg_zero_star"> = (params, defaults) => {
  const w = cfgScale(params.scale, defaults);
  return {
    extras: RULE_EXTRAS.cfg_zero_star,
    // Zero-init steps evaluate nothing (shared's bound charges them 0), whatever the schedule.
    idle: { at: (step) => ruleIdleStep(params, step), predict: zeroPrediction },
    combine(ctx, c, { uncond: u }) {
      if (!u) return fromEps(c, ctx);
      // α* on ε, the ε-model's counterpart of the velocity (ComfyUI also fits it on x − D ∝ σ·ε).
      const alphaStar = dot(c, u) / (dot(u, u) + 1e-8);
      return fromEps(
        c.map((cv, k) => alphaStar * u[k]! + w * (cv - alphaStar * u[k]!)),
        ctx,
      );
    },
  };
};

/**
 * "Zero" for an ε-prediction VP model. A zero velocity leaves a flow sample where it is; a zero ε
 * would not: it claims x is noise-free, x0 = x/α, and at high noise (α ≈ 0) blows the sample up
 * by α'/α. Instead predict x0 = 0, the data mean and Bayes-optimal x0 at t → T: every first-order
 * step then maps x → (σ'/σ)·x, which at high noise (σ' ≈ σ ≈ 1) is the closest 0-NFE analogue of
 * "skip the update". Multistep samplers (DPM++ 2M) see this zero x0 in their history.
 */
function zeroPrediction(ctx: StepContext): Prediction {
  return { x0: new Float32Array(ctx.x.length), eps: ctx.x.map((v) => v / ctx.sigma) };
}
