// Guidance interval (Kynkäänniemi et al., arXiv 2404.07724): CFG only on steps with
// start ≤ i/steps < end, the conditional branch alone elsewhere (shared's intervalSteps gate;
// the paper gates on σ, the wire contract on the step fraction).
import { condOf, fromEps } from "./convert.ts";
import { cfgScale } from "./params.ts";
import { BranchStandIn } from "./stand_in.ts";
import type { GuidancePolicy, PolicyFactory } from "./types.ts";
import { guide } from "./vector.ts";

export const createInterval: PolicyFactory<"interval"> = (params, defaults, steps): GuidancePolicy => {
  const w = cfgScale(params.scale, defaults);
  const { start, end } = params;
  const inWindow = (i: number) => i / steps >= start && i / steps < end;
  const uncond = new BranchStandIn();
  return {
    name: "interval",
    branches: (ctx) => (inWindow(ctx.step) ? ["cond", "uncond"] : ["cond"]),
    combine(ctx, out) {
      if (ctx.step === 0) uncond.reset();
      const c = condOf(out, "interval");
      if (!inWindow(ctx.step)) return fromEps(c, ctx);
      // Missing uncond inside the window (NFE cap): reuse the last direction, else cond.
      const u = uncond.resolve(c, out.uncond);
      return fromEps(u ? guide(u, c, w) : c, ctx);
    },
  };
};
