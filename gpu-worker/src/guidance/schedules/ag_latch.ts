// Adaptive Guidance (Castillo et al., arXiv 2312.12487): the extras until the guided and
// conditional predictions agree, then one NFE a step for the rest of the trajectory: the
// conditional branch alone (the paper's rule) or, with after_latch "reuse", guided along the last
// evaluated direction. The agreement test is a cosine of the x0 predictions with each channel's
// mean removed: see docs/ag-statistic.md for the statistics and post-latch rules measured.
import { clipX0 } from "../../schedulers/prediction.ts";
import { x0Of } from "../convert.ts";
import { agAfterLatch, agThreshold } from "../params.ts";
import type { ScheduleFactory, StepContext } from "../types.ts";
import { centeredCosine } from "../vector.ts";
import { type Gate, gated } from "./gated.ts";

export const createAgLatchSchedule: ScheduleFactory<"ag_latch"> = (params, defaults) => {
  const threshold = agThreshold(params.threshold, defaults);
  let latched = false;
  const gate: Gate = {
    open: () => !latched,
    observe(ctx, step) {
      // In x0 space, where the prompt's signal is (in ε, c and the guided ε are parallel from step 0
      // and the test latches at once); centred, because a background colour both branches agree
      // on early is most of x0's energy and hides where the shapes are still being decided.
      // Only real extras may trigger the latch, not ones stood in for under an NFE cap.
      if (latched || !step.evaluated || !step.cond) return;
      if (agreement(step.prediction.x0, x0Of(step.cond, ctx), ctx) >= threshold) latched = true;
    },
    reset: () => {
      latched = false;
    },
  };
  return gated(gate, agAfterLatch(params.after_latch, defaults));
};

/** AG's statistic: centred cosine of the guided and conditional x0, clipped as the sampler clips. */
export function agreement(guidedX0: Float32Array, condX0: Float32Array, ctx: StepContext): number {
  const clip = (x0: Float32Array) => clipX0(x0, ctx.clip !== undefined, ctx.clip ?? 1);
  return centeredCosine(clip(guidedX0), clip(condX0), ctx.channels);
}
