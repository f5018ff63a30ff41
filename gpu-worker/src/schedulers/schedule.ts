// The training noise schedule (betas → alphā) and the inference timestep grids, as diffusers
// builds them; every scheduler composes these, so the numbers agree across samplers.
import type { BetaSchedule, SchedulerConfig } from "./types.ts";

/** diffusers `betas_for_alpha_bar` cap for the cosine schedule. */
const COSINE_MAX_BETA = 0.999;

/** β_0..β_{T−1} for the configured schedule (float64; diffusers keeps float32, a ~1e-7 difference). */
export function betas(
  config: Pick<SchedulerConfig, "num_train_timesteps" | "beta_start" | "beta_end" | "beta_schedule">,
): Float64Array {
  const T = config.num_train_timesteps;
  const out = new Float64Array(T);
  const schedule: BetaSchedule = config.beta_schedule;
  if (schedule === "squaredcos_cap_v2") {
    const alphaBar = (t: number) => Math.cos(((t + 0.008) / 1.008) * (Math.PI / 2)) ** 2;
    for (let i = 0; i < T; i++) out[i] = Math.min(1 - alphaBar((i + 1) / T) / alphaBar(i / T), COSINE_MAX_BETA);
    return out;
  }
  const scaled = schedule === "scaled_linear";
  const start = scaled ? Math.sqrt(config.beta_start) : config.beta_start;
  const end = scaled ? Math.sqrt(config.beta_end) : config.beta_end;
  const linear = linspace(start, end, T);
  for (let i = 0; i < T; i++) out[i] = scaled ? linear[i]! ** 2 : linear[i]!;
  return out;
}

/** ᾱ_t = Π_{s≤t} (1 − β_s), accumulated in float64. */
export function alphasCumprod(config: Parameters<typeof betas>[0]): Float64Array {
  const b = betas(config);
  const out = new Float64Array(b.length);
  let product = 1;
  for (let i = 0; i < b.length; i++) {
    product *= 1 - b[i]!;
    out[i] = product;
  }
  return out;
}

/** numpy.linspace: start + i·step, with the last value pinned to `stop`. */
export function linspace(start: number, stop: number, count: number): number[] {
  if (count === 1) return [start];
  const step = (stop - start) / (count - 1);
  const out = Array.from({ length: count }, (_, i) => start + i * step);
  out[count - 1] = stop;
  return out;
}

/** numpy.round (half to even), so grids with .5 values match diffusers. */
export function roundHalfEven(value: number): number {
  const floor = Math.floor(value);
  const diff = value - floor;
  if (diff > 0.5) return floor + 1;
  if (diff < 0.5) return floor;
  return floor % 2 === 0 ? floor : floor + 1;
}

/** "leading": (0..N−1)·(T // N), descending, + steps_offset. N=50 on T=1000 gives 981..1 with offset 1. */
export function leadingTimesteps(T: number, steps: number, stepsOffset: number): number[] {
  const ratio = Math.floor(T / steps);
  return Array.from({ length: steps }, (_, k) => (steps - 1 - k) * ratio + stepsOffset);
}

/** "trailing": round(T − k·T/N) − 1 for k = 0..N−1. N=50 on T=1000 gives 999..19. */
export function trailingTimesteps(T: number, steps: number): number[] {
  const ratio = T / steps;
  return Array.from({ length: steps }, (_, k) => roundHalfEven(T - k * ratio) - 1);
}

/** "linspace": linspace(0, T−1, N) descending, unrounded (DDIM rounds, the Euler family keeps fractions). */
export function linspaceTimesteps(T: number, steps: number): number[] {
  return linspace(0, T - 1, steps).reverse();
}

/** σ_t = √((1 − ᾱ_t)/ᾱ_t) on the training grid (the k-diffusion / VE view). */
export function trainingSigmas(alphasCumprodTable: Float64Array): Float64Array {
  return alphasCumprodTable.map((a) => Math.sqrt((1 - a) / a));
}

/** numpy.interp of `table` (indexed 0..len−1) at fractional position `t`. */
export function interpolate(table: Float64Array, t: number): number {
  const last = table.length - 1;
  if (t <= 0) return table[0]!;
  if (t >= last) return table[last]!;
  const lo = Math.floor(t);
  const frac = t - lo;
  return table[lo]! * (1 - frac) + table[lo + 1]! * frac;
}

/** A VP state alpha·x0 + sigma·eps (diffusers' add_noise). */
export function vpNoised(alpha: number, sigma: number, x0: Float32Array, eps: Float32Array): Float32Array {
  return x0.map((v, k) => alpha * v + sigma * eps[k]!);
}

/** Reject step counts the training grid cannot hold. */
export function checkSteps(name: string, steps: number, T: number): void {
  if (!Number.isInteger(steps) || steps < 1 || steps > T) {
    throw new RangeError(`${name}: steps must be an integer in 1..${T}, got ${steps}`);
  }
}

/** Reject grids that fall off the training table (e.g. leading + steps_offset at N = T). */
export function checkGrid(name: string, timesteps: readonly number[], T: number): number[] {
  for (const t of timesteps) {
    if (!(t >= 0 && t <= T - 1)) throw new RangeError(`${name}: timestep ${t} outside 0..${T - 1}; lower steps`);
  }
  return [...timesteps];
}
