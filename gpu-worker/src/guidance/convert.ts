// Predictions from a step context: branch outputs arrive as ε; rules defined in x0 space
// convert with the step's VP coefficients and hand back a consistent (x0, ε) pair.
import { epsFromX0, x0FromEps } from "../schedulers/prediction.ts";
import type { Prediction } from "../schedulers/types.ts";
import type { BranchOutputs, StepContext } from "./types.ts";

export function x0Of(eps: Float32Array, ctx: StepContext): Float32Array {
  return x0FromEps(eps, ctx.x, ctx.alpha, ctx.sigma);
}

/** A consistent prediction from a guided ε. */
export function fromEps(eps: Float32Array, ctx: StepContext): Prediction {
  return { eps, x0: x0Of(eps, ctx) };
}

/** A consistent prediction from a guided x0. */
export function fromX0(x0: Float32Array, ctx: StepContext): Prediction {
  return { x0, eps: epsFromX0(x0, ctx.x, ctx.alpha, ctx.sigma) };
}

/** The conditional output, which every step that evaluates anything must have. */
export function condOf(out: BranchOutputs, policy: string): Float32Array {
  if (!out.cond) throw new Error(`${policy}: combine() needs the "cond" branch`);
  return out.cond;
}
