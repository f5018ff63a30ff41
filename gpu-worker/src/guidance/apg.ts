// Adaptive Projected Guidance (Sadat et al., arXiv 2410.02416), paper form on x0:
// Δ = D_c − D_u, reverse momentum, norm clamp, split along D_c, pred = D_c + (w−1)(Δ⊥ + η·Δ∥).
import { clipX0 } from "../schedulers/prediction.ts";
import { condOf, fromEps, fromX0, x0Of } from "./convert.ts";
import { cfgScale } from "./params.ts";
import { BranchStandIn } from "./stand_in.ts";
import type { GuidancePolicy, ModelGuidanceDefaults, PolicyFactory } from "./types.ts";
import { dot, norm } from "./vector.ts";

/**
 * APG exists to run at scales CFG cannot: by default twice CFG's guidance strength (w − 1),
 * i.e. 2·w_cfg − 1 (HunyuanImage-2.1 pairs CFG 3.5 with APG 10, a larger ratio still).
 */
export function apgDefaultScale(defaults: ModelGuidanceDefaults): number {
  return 2 * cfgScale(undefined, defaults) - 1;
}

export const createApg: PolicyFactory<"apg"> = (params, defaults): GuidancePolicy => {
  const w = params.scale ?? apgDefaultScale(defaults);
  const eta = params.eta;
  const beta = params.momentum;
  // r is an absolute L2 norm in x0 space; 0 (no clamp) unless given or calibrated, since a
  // made-up r could silently cripple guidance on a model it was not tuned for.
  const r = params.norm_threshold ?? defaults.apg_norm_threshold ?? 0;
  const uncond = new BranchStandIn();
  let running: Float64Array | undefined; // momentum buffer: one trajectory, reset at step 0

  return {
    name: "apg",
    branches: () => ["cond", "uncond"],
    combine(ctx, out) {
      if (ctx.step === 0) {
        uncond.reset();
        running = undefined;
      }
      const c = condOf(out, "apg");
      // Missing uncond (NFE cap): rebuilt from the last ε direction, then the full rule runs on it.
      const u = uncond.resolve(c, out.uncond);
      if (!u) return fromEps(c, ctx);
      // Clamp like the scheduler does: at alphā ≈ 0 the raw x0 is ~1e4 and would poison the momentum.
      const dc = clipX0(x0Of(c, ctx), ctx.clip !== undefined, ctx.clip ?? 1);
      const du = clipX0(x0Of(u, ctx), ctx.clip !== undefined, ctx.clip ?? 1);
      const diff = new Float64Array(dc.length);
      for (let k = 0; k < dc.length; k++) diff[k] = dc[k]! - du[k]!;
      if (beta !== 0) {
        // diffusers MomentumBuffer: running = Δ + β·running; Δ = running (β < 0 subtracts the past).
        const prev = running ?? new Float64Array(diff.length);
        for (let k = 0; k < diff.length; k++) diff[k] = diff[k]! + beta * prev[k]!;
        running = Float64Array.from(diff);
      }
      if (r > 0) {
        const size = norm(diff);
        if (size > r) for (let k = 0; k < diff.length; k++) diff[k] = diff[k]! * (r / size);
      }
      const condNorm = norm(dc);
      const along = condNorm > 0 ? dot(diff, dc) / (condNorm * condNorm) : 0; // ⟨Δ, n⟩/‖D_c‖ in float64
      const pred = new Float32Array(dc.length);
      for (let k = 0; k < dc.length; k++) {
        const parallel = along * dc[k]!;
        pred[k] = dc[k]! + (w - 1) * (diff[k]! - parallel + eta * parallel);
      }
      return fromX0(pred, ctx);
    },
  };
};
