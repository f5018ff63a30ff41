// The schedule parameters calibrate tries for a rule at a step count: a small grid per schedule of
// shared/src/schedules.ts, from nearly full NFE to nearly unguided. sigma_interval is left out: its
// bounds are in the model's σ units, which a fixed grid cannot name for every model.
import { AG_AFTER_LATCH, type ScheduleName, type ScheduleParams } from "@guidegate/shared";

/** AG's statistic is a centred cosine near 1 (0.95..0.9999 on shapes-32, see ag_latch.ts). */
const AG_THRESHOLDS = [0.9999, 0.999, 0.995, 0.99, 0.98, 0.95];
/** Step-fraction windows [start, end): early guidance matters most (Step AG, the interval paper). */
const INTERVAL_WINDOWS: Array<[number, number]> = [
  [0, 0.3],
  [0, 0.5],
  [0, 0.7],
  [0.1, 0.6],
  [0.2, 0.8],
];
/** first_k's k as a fraction of the steps (Step AG guides the first 20-50%). */
const FIRST_K_FRACTIONS = [0, 0.2, 0.3, 0.5, 0.7];
const REUSE_PERIODS = [2, 3, 4];

export const CANDIDATE_SCHEDULES: readonly ScheduleName[] = [
  "every",
  "ag_latch",
  "interval",
  "first_k",
  "linear_ag",
  "reuse",
];

function firstK(steps: number): ScheduleParams[] {
  const ks = [...new Set(FIRST_K_FRACTIONS.map((f) => Math.round(f * steps)))];
  // k = 0 never evaluates the extra branch, so there is no direction to reuse: conditional only.
  return ks.flatMap((k) =>
    AG_AFTER_LATCH.filter((after) => k > 0 || after === "conditional").map((after) => ({
      name: "first_k" as const,
      k,
      after,
    })),
  );
}

/** Every candidate schedule of `names` for a run of `steps` steps. */
export function scheduleCandidates(
  steps: number,
  names: readonly ScheduleName[] = CANDIDATE_SCHEDULES,
): ScheduleParams[] {
  const grid: Partial<Record<ScheduleName, () => ScheduleParams[]>> = {
    every: () => [{ name: "every" }],
    ag_latch: () =>
      AG_THRESHOLDS.flatMap((threshold) =>
        AG_AFTER_LATCH.map((after_latch) => ({ name: "ag_latch" as const, threshold, after_latch })),
      ),
    interval: () => INTERVAL_WINDOWS.map(([start, end]) => ({ name: "interval" as const, start, end })),
    first_k: () => firstK(steps),
    linear_ag: () => [{ name: "linear_ag" }],
    reuse: () => REUSE_PERIODS.filter((period) => period < steps).map((period) => ({ name: "reuse" as const, period })),
  };
  return names.flatMap((n) => {
    const make = grid[n];
    if (!make)
      throw new Error(
        `calibrate: no candidate grid for schedule ${n}; grids exist for ${Object.keys(grid).join(", ")}`,
      );
    return make();
  });
}
