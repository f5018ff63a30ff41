// Euler ancestral (k-diffusion `sample_euler_ancestral`, eta = 1): deterministic move to σ_down,
// then fresh noise of std σ_up, with σ_down² + σ_up² = σ_next².
import { clipX0 } from "./prediction.ts";
import type { Scheduler, SchedulerFactory } from "./types.ts";
import { veInitNoise, veNoised, veModelInput, vePoint, veSchedule } from "./ve.ts";

export const createEulerAncestral: SchedulerFactory = (config, steps): Scheduler => {
  const schedule = veSchedule("euler_a", config, steps);
  return {
    name: "euler_a",
    steps,
    point: (i) => vePoint(schedule, i),
    initNoise: (noise) => veInitNoise(schedule, noise),
    noised: (x0, eps, i) => veNoised(schedule, x0, eps, i),
    modelInput: (x, i) => veModelInput(schedule, x, i),
    step(x, pred, i, noise) {
      const sigma = schedule.sigmas[i]!;
      const sigmaNext = schedule.sigmas[i + 1]!;
      const sigmaUp = Math.sqrt(Math.max(0, (sigmaNext ** 2 * (sigma ** 2 - sigmaNext ** 2)) / sigma ** 2));
      const sigmaDown = Math.sqrt(Math.max(0, sigmaNext ** 2 - sigmaUp ** 2));
      const x0 = clipX0(pred.x0, config.clip_sample, config.clip_sample_range);
      const z = sigmaUp > 0 ? noise(x.length) : undefined;
      const out = new Float32Array(x.length);
      for (let k = 0; k < x.length; k++) {
        out[k] = x0[k]! + sigmaDown * pred.eps[k]! + (z ? sigmaUp * z[k]! : 0);
      }
      return out;
    },
  };
};
