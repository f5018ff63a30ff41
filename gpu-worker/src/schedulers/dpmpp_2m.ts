// DPM-Solver++(2M) as diffusers' DPMSolverMultistepScheduler (dpmsolver++, order 2, midpoint,
// final_sigmas_type "zero"), in the VP state. Keeps one past x0, so: one instance per image.
import { spacingOf } from "./config.ts";
import { clipX0 } from "./prediction.ts";
import {
  alphasCumprod,
  checkGrid,
  checkSteps,
  linspace,
  roundHalfEven,
  trailingTimesteps,
  trainingSigmas,
  vpNoised,
} from "./schedule.ts";
import type { Scheduler, SchedulerFactory } from "./types.ts";

export const createDpmpp2m: SchedulerFactory = (config, steps): Scheduler => {
  const T = config.num_train_timesteps;
  checkSteps("dpmpp_2m", steps, T);
  const timesteps = checkGrid(
    "dpmpp_2m",
    dpmTimesteps(spacingOf(config, "dpmpp_2m"), T, steps, config.steps_offset),
    T,
  );
  const table = trainingSigmas(alphasCumprod(config));
  const veSigmas = [...timesteps.map((t) => table[t]!), 0];
  const alphas = veSigmas.map((s) => 1 / Math.sqrt(s * s + 1));
  const sigmas = veSigmas.map((s, i) => s * alphas[i]!);
  const lambdas = veSigmas.map((s) => -Math.log(s)); // λ = ln(α/σ) = −ln σ_VE; +∞ at the end
  let previousX0: Float32Array | undefined;
  let lastStep = -1;

  return {
    name: "dpmpp_2m",
    steps,
    point: (i) => ({ timestep: timesteps[i]!, alpha: alphas[i]!, sigma: sigmas[i]! }),
    initNoise: (noise) => Float32Array.from(noise),
    noised: (x0, eps, i) => vpNoised(alphas[i]!, sigmas[i]!, x0, eps),
    modelInput: (x) => x,
    step(x, pred, i) {
      // An edit's first step may be any (it starts part-way); after it, steps go in order.
      const first = i === 0 || lastStep === -1;
      if (!first && i !== lastStep + 1) {
        throw new Error(`dpmpp_2m: step ${i} after step ${lastStep}; use one scheduler per image, in order`);
      }
      if (first) previousX0 = undefined;
      lastStep = i;
      const alpha = alphas[i]!;
      const sigma = sigmas[i]!;
      const alphaNext = alphas[i + 1]!;
      const sigmaNext = sigmas[i + 1]!;
      const x0 = clipX0(pred.x0, config.clip_sample, config.clip_sample_range);
      // First order (= DDIM): α'·x0 + σ'·ε. With a consistent ε this is diffusers' first-order update.
      const out = new Float32Array(x.length);
      for (let k = 0; k < x.length; k++) out[k] = alphaNext * x0[k]! + sigmaNext * pred.eps[k]!;
      // Second order except on the first step and the final (σ' = 0) step, as diffusers does.
      if (previousX0 && sigmaNext > 0) {
        const h = lambdas[i + 1]! - lambdas[i]!;
        const r = (lambdas[i]! - lambdas[i - 1]!) / h;
        const coef = (0.5 * alphaNext * -Math.expm1(-h)) / r;
        for (let k = 0; k < x.length; k++) out[k] = out[k]! + coef * (x0[k]! - previousX0[k]!);
      }
      // The history is the x0 that ε implies: x0 itself normally, D_u under CFG++ (ComfyUI dpmpp_2m_cfg_pp).
      const implied = new Float32Array(x.length);
      for (let k = 0; k < x.length; k++) implied[k] = (x[k]! - sigma * pred.eps[k]!) / alpha;
      previousX0 = clipX0(implied, config.clip_sample, config.clip_sample_range);
      return out;
    },
  };
};

/** DPMSolverMultistep's grids: leading and linspace use N+1 points and drop the last. */
function dpmTimesteps(spacing: string, T: number, steps: number, offset: number): number[] {
  if (spacing === "trailing") return trailingTimesteps(T, steps);
  if (spacing === "leading") {
    const ratio = Math.floor(T / (steps + 1));
    return Array.from({ length: steps }, (_, k) => (steps - k) * ratio + offset);
  }
  return linspace(0, T - 1, steps + 1)
    .map(roundHalfEven)
    .reverse()
    .slice(0, steps);
}
