// DDIM (Song et al.), as diffusers' DDIMScheduler: x_prev = √ᾱ_prev·x0 + √(1−ᾱ_prev−σ_η²)·ε + σ_η·z.
// The state is the VP sample itself, so the model input is the state.
import { clipX0 } from "./prediction.ts";
import {
  alphasCumprod,
  checkGrid,
  checkSteps,
  leadingTimesteps,
  linspaceTimesteps,
  roundHalfEven,
  trailingTimesteps,
  vpNoised,
} from "./schedule.ts";
import { spacingOf } from "./config.ts";
import type { Scheduler, SchedulerFactory } from "./types.ts";

export const createDdim: SchedulerFactory = (config, steps): Scheduler => {
  const T = config.num_train_timesteps;
  checkSteps("ddim", steps, T);
  const alphaBar = alphasCumprod(config);
  const timesteps = ddimTimesteps(spacingOf(config, "ddim"), T, steps, config.steps_offset);
  const finalAlphaBar = config.set_alpha_to_one ? 1 : alphaBar[0]!;
  const eta = config.eta ?? 0;
  // diffusers steps back by T // N whatever the spacing, so "prev" may sit off the grid.
  const stride = Math.floor(T / steps);
  const alphaBarAt = (t: number) => (t >= 0 ? alphaBar[t]! : finalAlphaBar);

  return {
    name: "ddim",
    steps,
    point(i) {
      const a = alphaBar[timesteps[i]!]!;
      return { timestep: timesteps[i]!, alpha: Math.sqrt(a), sigma: Math.sqrt(1 - a) };
    },
    initNoise: (noise) => Float32Array.from(noise),
    noised: (x0, eps, i) => {
      const a = alphaBar[timesteps[i]!]!;
      return vpNoised(Math.sqrt(a), Math.sqrt(1 - a), x0, eps);
    },
    modelInput: (x) => x,
    step(x, pred, i, noise) {
      const t = timesteps[i]!;
      const a = alphaBar[t]!;
      const aPrev = alphaBarAt(t - stride);
      const variance = ((1 - aPrev) / (1 - a)) * (1 - a / aPrev);
      const noiseStd = eta * Math.sqrt(Math.max(0, variance));
      const dirCoef = Math.sqrt(Math.max(0, 1 - aPrev - noiseStd * noiseStd));
      const x0 = clipX0(pred.x0, config.clip_sample, config.clip_sample_range);
      const z = noiseStd > 0 ? noise(x.length) : undefined;
      const out = new Float32Array(x.length);
      const signal = Math.sqrt(aPrev);
      for (let k = 0; k < x.length; k++) {
        out[k] = signal * x0[k]! + dirCoef * pred.eps[k]! + (z ? noiseStd * z[k]! : 0);
      }
      return out;
    },
  };
};

/** DDIM's integer grid: linspace values are rounded (half to even, like numpy). */
function ddimTimesteps(spacing: string, T: number, steps: number, offset: number): number[] {
  if (spacing === "leading") return checkGrid("ddim", leadingTimesteps(T, steps, offset), T);
  if (spacing === "trailing") return checkGrid("ddim", trailingTimesteps(T, steps), T);
  return checkGrid("ddim", linspaceTimesteps(T, steps).map(roundHalfEven), T);
}
