// Adaptive Guidance (Castillo et al., arXiv 2312.12487): CFG until the guided and conditional
// predictions agree, then the conditional branch alone for the rest of the trajectory.
import { condOf, fromEps, x0Of } from "./convert.ts";
import { cfgScale, num } from "./params.ts";
import { BranchStandIn } from "./stand_in.ts";
import type { GuidancePolicy, PolicyFactory } from "./types.ts";
import { cosine, guide } from "./vector.ts";

/**
 * Used when neither the request nor calibration gives a threshold: high, so AG truncates late
 * rather than early (a premature latch cost the prototype half its quality; guidance matters early).
 */
export const AG_FALLBACK_THRESHOLD = 0.9995;

export const createAg: PolicyFactory = (params, defaults): GuidancePolicy => {
  const w = cfgScale(params, defaults);
  const threshold = num(params.threshold) ?? num(defaults.ag_threshold) ?? AG_FALLBACK_THRESHOLD;
  const uncond = new BranchStandIn();
  let truncated = false;
  return {
    name: "ag",
    branches(ctx) {
      if (ctx.step === 0) truncated = false; // a new trajectory
      return truncated ? ["cond"] : ["cond", "uncond"];
    },
    combine(ctx, out) {
      if (ctx.step === 0) uncond.reset();
      const c = condOf(out, "ag");
      if (truncated) return fromEps(c, ctx);
      // Missing uncond (NFE cap): reuse the last direction, else cond.
      const u = uncond.resolve(c, out.uncond);
      if (!u) return fromEps(c, ctx);
      const guided = fromEps(guide(u, c, w), ctx);
      // The test runs in x0 space, where the prompt's signal is; in ε at high noise c and the guided
      // ε are parallel from step 0 (prototype: cos 0.9998), so an ε test latches at once.
      // Only a real uncond may trigger the latch, not one reused under an NFE cap.
      if (out.uncond && cosine(guided.x0, x0Of(c, ctx)) >= threshold) truncated = true;
      return guided;
    },
  };
};
