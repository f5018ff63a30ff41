// Euler (k-diffusion `sample_euler`, diffusers EulerDiscreteScheduler with s_churn = 0):
// x ← x + d·(σ_next − σ) with d = (x − x0)/σ, written as x0 + σ_next·ε so CFG++'s ε_u slots in.
import { clipX0 } from "./prediction.ts";
import type { Scheduler, SchedulerFactory } from "./types.ts";
import { veInitNoise, veNoised, veModelInput, vePoint, veSchedule } from "./ve.ts";

export const createEuler: SchedulerFactory = (config, steps): Scheduler => {
  const schedule = veSchedule("euler", config, steps);
  return {
    name: "euler",
    steps,
    point: (i) => vePoint(schedule, i),
    initNoise: (noise) => veInitNoise(schedule, noise),
    noised: (x0, eps, i) => veNoised(schedule, x0, eps, i),
    modelInput: (x, i) => veModelInput(schedule, x, i),
    step(x, pred, i) {
      const sigmaNext = schedule.sigmas[i + 1]!;
      const x0 = clipX0(pred.x0, config.clip_sample, config.clip_sample_range);
      const out = new Float32Array(x.length);
      for (let k = 0; k < x.length; k++) out[k] = x0[k]! + sigmaNext * pred.eps[k]!;
      return out;
    },
  };
};
