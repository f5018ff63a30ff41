// Scheduler registry. Schedulers are per image: DPM++ 2M keeps the previous x0, so create one
// instance per image (cheap: a few small tables) and call step(i) in order from i = 0.
import type { SchedulerName } from "@guidegate/shared";
import { createDdim } from "./ddim.ts";
import { createDpmpp2m } from "./dpmpp_2m.ts";
import { createEuler } from "./euler.ts";
import { createEulerAncestral } from "./euler_a.ts";
import type { Scheduler, SchedulerConfig, SchedulerFactory } from "./types.ts";

export { DEFAULT_SPACING, parseSchedulerConfig } from "./config.ts";
export { gaussianNoise } from "./noise.ts";
export { clipX0, epsFromX0, toEpsAndX0, x0FromEps } from "./prediction.ts";
export type * from "./types.ts";

export const SCHEDULER_FACTORIES: Record<SchedulerName, SchedulerFactory> = {
  ddim: createDdim,
  euler: createEuler,
  euler_a: createEulerAncestral,
  dpmpp_2m: createDpmpp2m,
};

export function createScheduler(name: SchedulerName, config: SchedulerConfig, steps: number): Scheduler {
  const factory = SCHEDULER_FACTORIES[name];
  if (!factory) throw new Error(`unknown scheduler: ${String(name)}`);
  return factory(config, steps);
}
