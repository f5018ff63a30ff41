// LinearAG (Castillo et al., arXiv 2312.12487): evaluate the unconditional branch only on the
// steps shared's linearAgUncondStep picks; elsewhere predict it linearly from past estimates.
import { linearAgUncondStep } from "@guidegate/shared";
import { condOf, fromEps } from "./convert.ts";
import { cfgScale } from "./params.ts";
import type { GuidancePolicy, PolicyFactory } from "./types.ts";
import { guide } from "./vector.ts";

/** Direction reuse û_i = c_i − (c_{i−1} − u_{i−1}): the fit-free case (FastVideo "CFG gating"). */
const REUSE: readonly [number, number, number] = [1, -1, 1];

export const createLinearAg: PolicyFactory<"linear_ag"> = (params, defaults, steps, scheduler): GuidancePolicy => {
  const fit = defaults.linear_ag?.[`${scheduler}:${steps}`];
  const w = params.scale ?? fit?.scale ?? cfgScale(undefined, defaults);
  let prevCond: Float32Array | undefined;
  let prevUncond: Float32Array | undefined;

  /** û_i = a·c_i + b·c_{i−1} + d·u_{i−1}, with calibrated (a, b, d) when the model has them. */
  const predictUncond = (i: number, c: Float32Array): Float32Array | undefined => {
    if (!prevCond || !prevUncond) return undefined;
    const [a, b, d] = fit?.steps[i] ?? REUSE;
    const pc = prevCond;
    const pu = prevUncond;
    return c.map((v, k) => a * v + b * pc[k]! + d * pu[k]!);
  };

  return {
    name: "linear_ag",
    branches: (ctx) => (linearAgUncondStep(ctx.step, steps) ? ["cond", "uncond"] : ["cond"]),
    combine(ctx, out) {
      if (ctx.step === 0) prevCond = prevUncond = undefined;
      const c = condOf(out, "linear_ag");
      // A real uncond skipped by an NFE cap is predicted like any other regressed step.
      const u = out.uncond ?? predictUncond(ctx.step, c);
      prevCond = c;
      prevUncond = u;
      return fromEps(u ? guide(u, c, w) : c, ctx);
    },
  };
};
