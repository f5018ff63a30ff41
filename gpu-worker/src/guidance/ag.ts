// Adaptive Guidance (Castillo et al., arXiv 2312.12487): CFG until the guided and conditional
// predictions agree, then one NFE a step for the rest of the trajectory: the conditional branch
// alone (the paper's rule) or, with after_latch "reuse", guided along the last evaluated direction.
// The agreement test is a cosine of the x0 predictions with each channel's mean removed: see
// docs/ag-statistic.md for the statistics and post-latch rules measured.
import { condOf, fromEps, x0Of } from "./convert.ts";
import { cfgScale } from "./params.ts";
import { BranchStandIn } from "./stand_in.ts";
import type { GuidancePolicy, PolicyFactory, StepContext } from "./types.ts";
import { clipX0 } from "../schedulers/prediction.ts";
import { centeredCosine, guide } from "./vector.ts";

/**
 * Used when neither the request nor calibration gives a threshold: high, so AG truncates late
 * rather than early (a premature latch cost the prototype half its quality; guidance matters early).
 */
export const AG_FALLBACK_THRESHOLD = 0.999;

export const createAg: PolicyFactory<"ag"> = (params, defaults): GuidancePolicy => {
  const w = cfgScale(params.scale, defaults);
  const threshold = params.threshold ?? defaults.ag_threshold ?? AG_FALLBACK_THRESHOLD;
  // Uncalibrated models get the paper's rule; calibration picks per model which rule is cheaper.
  const afterLatch = params.after_latch ?? defaults.ag_after_latch ?? "conditional";
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
      // After the latch a real uncond (if any) is ignored: the NFE was not meant to be spent.
      // Missing uncond before the latch (NFE cap): reuse the last direction, else cond.
      const u = truncated ? (afterLatch === "reuse" ? uncond.resolve(c, undefined) : undefined) : uncond.resolve(c, out.uncond);
      if (!u) return fromEps(c, ctx);
      const guided = fromEps(guide(u, c, w), ctx);
      if (truncated) return guided;
      // In x0 space, where the prompt's signal is (in ε, c and the guided ε are parallel from step 0
      // and the test latches at once); centred, because a background colour both branches agree
      // on early is most of x0's energy and hides where the shapes are still being decided.
      // Only a real uncond may trigger the latch, not one reused under an NFE cap.
      if (out.uncond && agreement(guided.x0, x0Of(c, ctx), ctx) >= threshold) truncated = true;
      return guided;
    },
  };
};

/** AG's statistic: centred cosine of the guided and conditional x0, clipped as the sampler clips. */
export function agreement(guidedX0: Float32Array, condX0: Float32Array, ctx: StepContext): number {
  const clip = (x0: Float32Array) => clipX0(x0, ctx.clip !== undefined, ctx.clip ?? 1);
  return centeredCosine(clip(guidedX0), clip(condX0), ctx.channels);
}
