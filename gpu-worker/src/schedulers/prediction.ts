// The one place that turns a model output into (eps, x0) in the VP view x = alpha·x0 + sigma·eps,
// plus the two affine conversions every sampler and guidance rule builds on.
import type { Prediction, PredictionType } from "./types.ts";

/**
 * Model output → { eps, x0 } for the VP model input `x` (alpha² + sigma² = 1).
 * epsilon: x0 = (x − σ·ε)/α; v_prediction: x0 = α·x − σ·v, ε = σ·x + α·v; sample: ε = (x − α·x0)/σ.
 */
export function toEpsAndX0(
  output: Float32Array,
  x: Float32Array,
  alpha: number,
  sigma: number,
  predictionType: PredictionType,
): Prediction {
  switch (predictionType) {
    case "epsilon":
      return { eps: output, x0: x0FromEps(output, x, alpha, sigma) };
    case "sample":
      return { x0: output, eps: epsFromX0(output, x, alpha, sigma) };
    case "v_prediction": {
      const x0 = new Float32Array(x.length);
      const eps = new Float32Array(x.length);
      for (let k = 0; k < x.length; k++) {
        x0[k] = alpha * x[k]! - sigma * output[k]!;
        eps[k] = sigma * x[k]! + alpha * output[k]!;
      }
      return { x0, eps };
    }
    default:
      throw new Error(`unsupported prediction_type: ${String(predictionType)}`);
  }
}

/** x0 = (x − σ·ε)/α (Tweedie for a VP sample). */
export function x0FromEps(eps: Float32Array, x: Float32Array, alpha: number, sigma: number): Float32Array {
  const out = new Float32Array(x.length);
  for (let k = 0; k < x.length; k++) out[k] = (x[k]! - sigma * eps[k]!) / alpha;
  return out;
}

/** ε = (x − α·x0)/σ. */
export function epsFromX0(x0: Float32Array, x: Float32Array, alpha: number, sigma: number): Float32Array {
  const out = new Float32Array(x.length);
  for (let k = 0; k < x.length; k++) out[k] = (x[k]! - alpha * x0[k]!) / sigma;
  return out;
}

/** x0 clamped to ±range (diffusers `clip_sample`), or the same array when clipping is off. */
export function clipX0(x0: Float32Array, clip: boolean, range: number): Float32Array {
  if (!clip) return x0;
  return x0.map((v) => Math.min(range, Math.max(-range, v)));
}
