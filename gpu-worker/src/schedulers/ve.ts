// The k-diffusion (VE) view shared by the Euler family: state x = x0 + σ·ε, model input
// x/√(σ²+1). Sigmas follow diffusers' EulerDiscreteScheduler ("linear" interpolation).
import { spacingOf } from "./config.ts";
import {
  alphasCumprod,
  checkGrid,
  checkSteps,
  interpolate,
  leadingTimesteps,
  linspaceTimesteps,
  trailingTimesteps,
  trainingSigmas,
} from "./schedule.ts";
import type { SchedulerConfig, StepPoint } from "./types.ts";

export interface VeSchedule {
  /** Model timesteps, float32 like diffusers' (linspace keeps fractions). */
  timesteps: number[];
  /** σ per step plus a final 0 (length steps + 1). */
  sigmas: number[];
  /** Scale of the starting noise: σ_max, or √(σ_max²+1) under "leading" (diffusers' rule). */
  initNoiseSigma: number;
}

export function veSchedule(name: "euler" | "euler_a", config: SchedulerConfig, steps: number): VeSchedule {
  const T = config.num_train_timesteps;
  checkSteps(name, steps, T);
  const spacing = spacingOf(config, name);
  const grid =
    spacing === "leading"
      ? leadingTimesteps(T, steps, config.steps_offset)
      : spacing === "trailing"
        ? trailingTimesteps(T, steps)
        : linspaceTimesteps(T, steps);
  const timesteps = checkGrid(name, grid, T).map(Math.fround);
  const table = trainingSigmas(alphasCumprod(config));
  // σ is interpolated linearly in t, as diffusers' default interpolation_type "linear" does.
  const sigmas = [...timesteps.map((t) => interpolate(table, t)), 0];
  const sigmaMax = Math.max(...sigmas);
  const initNoiseSigma = spacing === "leading" ? Math.sqrt(sigmaMax * sigmaMax + 1) : sigmaMax;
  return { timesteps, sigmas, initNoiseSigma };
}

/** VP coefficients of the model input x/√(σ²+1): alpha = 1/√(σ²+1), sigma = σ/√(σ²+1). */
export function vePoint(schedule: VeSchedule, i: number): StepPoint {
  const s = schedule.sigmas[i]!;
  const alpha = 1 / Math.sqrt(s * s + 1);
  return { timestep: schedule.timesteps[i]!, alpha, sigma: s * alpha };
}

/** diffusers' scale_model_input: x/√(σ²+1). */
export function veModelInput(schedule: VeSchedule, x: Float32Array, i: number): Float32Array {
  const scale = vePoint(schedule, i).alpha;
  return x.map((v) => v * scale);
}

/** The VE state x0 + σ_i·eps. */
export function veNoised(schedule: VeSchedule, x0: Float32Array, eps: Float32Array, i: number): Float32Array {
  const s = schedule.sigmas[i]!;
  return x0.map((v, k) => v + s * eps[k]!);
}

export function veInitNoise(schedule: VeSchedule, noise: Float32Array): Float32Array {
  return noise.map((v) => v * schedule.initNoiseSigma);
}
