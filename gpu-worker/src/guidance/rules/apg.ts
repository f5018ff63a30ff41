// Adaptive Projected Guidance (Sadat et al., arXiv 2410.02416), paper form on x0:
// Δ = D_c − D_u, reverse momentum, norm clamp, split along D_c, pred = D_c + (w−1)(Δ⊥ + η·Δ∥).
import { RULE_EXTRAS } from "@guidegate/shared";
import { clipX0 } from "../../schedulers/prediction.ts";
import { fromEps, fromX0, x0Of } from "../convert.ts";
import { apgNormThreshold, apgScale } from "../params.ts";
import type { RuleFactory, StepContext } from "../types.ts";
import { dot, norm } from "../vector.ts";

export const createApgRule: RuleFactory<"apg"> = (params, defaults) => {
  const w = apgScale(params.scale, defaults);
  const eta = params.eta;
  const beta = params.momentum;
  const r = apgNormThreshold(params.norm_threshold, defaults);
  let running: Float64Array | undefined; // momentum buffer: one trajectory, reset at step 0

  /** Δ after momentum and clamp. A stood-in uncond feeds the momentum like a real one. */
  const update = (dc: Float32Array, du: Float32Array): Float64Array => {
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
    return diff;
  };

  return {
    extras: RULE_EXTRAS.apg,
    reset: () => {
      running = undefined;
    },
    combine(ctx, c, { uncond: u }) {
      if (!u) return fromEps(c, ctx);
      const dc = clipped(x0Of(c, ctx), ctx);
      const diff = update(dc, clipped(x0Of(u, ctx), ctx));
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

/** Clamped like the scheduler clamps: at alphā ≈ 0 the raw x0 is ~1e4 and would poison the momentum. */
function clipped(x0: Float32Array, ctx: StepContext): Float32Array {
  return clipX0(x0, ctx.clip !== undefined, ctx.clip ?? 1);
}
