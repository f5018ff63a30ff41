// LinearAG's per-step coefficients (Castillo et al., arXiv 2312.12487): OLS of u_i on
// (c_i, c_{i-1}, u_{i-1}) over full-CFG trajectories, for the steps the schedule regresses.
import type { LinearAgCoefficients, Recording } from "@guidegate/gpu-worker";
import { linearAgUncondStep } from "@guidegate/shared";
import { solveLeastSquares } from "./least-squares.ts";

export type BranchTrace = Array<{ c: Float32Array; u: Float32Array }>;

/** One trajectory's recorded branch outputs, by step. */
export function traceOf(r: Recording): BranchTrace {
  const tr: BranchTrace = [];
  for (const [step, br] of (r.branches ?? []).entries()) if (br) tr[step] = { c: br.cond, u: br.uncond };
  return tr;
}

/** Coefficients for a run of `steps` steps under CFG at `scale`; null on steps that evaluate uncond. */
export function fitLinearAg(traces: BranchTrace[], steps: number, scale: number): LinearAgCoefficients {
  const coefficients: LinearAgCoefficients = { scale, steps: [] };
  for (let i = 0; i < steps; i++) {
    if (i === 0 || linearAgUncondStep(i, steps)) {
      coefficients.steps.push(null);
      continue;
    }
    const rows: number[][] = [];
    const target: number[] = [];
    for (const tr of traces) {
      const now = tr[i]!;
      const prev = tr[i - 1]!;
      for (let k = 0; k < now.c.length; k++) {
        rows.push([now.c[k]!, prev.c[k]!, prev.u[k]!]);
        target.push(now.u[k]!);
      }
    }
    const [a, b, d] = solveLeastSquares(rows, target);
    coefficients.steps.push([a!, b!, d!]);
  }
  return coefficients;
}
