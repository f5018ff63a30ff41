// Test helpers: configs in the fixture's vocabulary, a scripted noise source, closeness checks.
import { expect } from "vitest";
import { parseSchedulerConfig } from "../../../gpu-worker/src/schedulers/index.ts";
import type { NoiseSource, SchedulerConfig, TimestepSpacing } from "../../../gpu-worker/src/schedulers/types.ts";

export interface FixtureConfig {
  betas: { beta_start: number; beta_end: number; beta_schedule: string };
  spacing: TimestepSpacing;
  offset: number;
  set_alpha_to_one: boolean;
  prediction: "epsilon" | "v_prediction";
  eta?: number;
  clip?: number;
}

export function toConfig(cfg: FixtureConfig): SchedulerConfig {
  return parseSchedulerConfig({
    ...cfg.betas,
    num_train_timesteps: 1000,
    timestep_spacing: cfg.spacing,
    steps_offset: cfg.offset,
    set_alpha_to_one: cfg.set_alpha_to_one,
    prediction_type: cfg.prediction,
    clip_sample: cfg.clip !== undefined,
    clip_sample_range: cfg.clip ?? 1,
    ...(cfg.eta !== undefined ? { eta: cfg.eta } : {}),
  });
}

/** Hands out the fixture's noise rows in order, one row per call. */
export function scriptedNoise(rows: number[][]): NoiseSource & { used: () => number } {
  let next = 0;
  const source = (length: number) => {
    const row = rows[next++];
    if (!row || row.length !== length) throw new Error(`scripted noise exhausted or wrong length at ${next - 1}`);
    return Float32Array.from(row);
  };
  return Object.assign(source, { used: () => next });
}

/** |a − b| ≤ tol·max(1, |b|) elementwise. */
export function expectClose(actual: ArrayLike<number>, expected: ArrayLike<number>, tol = 1e-5, what = ""): void {
  expect(actual.length, `${what} length`).toBe(expected.length);
  for (let k = 0; k < expected.length; k++) {
    const e = expected[k]!;
    const a = actual[k]!;
    if (!(Math.abs(a - e) <= tol * Math.max(1, Math.abs(e)))) {
      throw new Error(`${what}[${k}]: got ${a}, expected ${e} (tol ${tol})`);
    }
  }
}
