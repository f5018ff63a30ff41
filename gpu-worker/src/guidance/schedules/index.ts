// Schedule registry: one case per schedule, so each factory gets its own parsed type without a cast.
import type { ScheduleParams } from "@guidegate/shared";
import type { GuidanceSchedule, ModelGuidanceDefaults } from "../types.ts";
import { createAgLatchSchedule } from "./ag_latch.ts";
import { createEverySchedule } from "./every.ts";
import { createFirstKSchedule } from "./first_k.ts";
import { createIntervalSchedule } from "./interval.ts";
import { createLinearAgSchedule } from "./linear_ag.ts";
import { createReuseSchedule } from "./reuse.ts";
import { createSigmaIntervalSchedule } from "./sigma_interval.ts";

export function createSchedule(
  s: ScheduleParams,
  defaults: ModelGuidanceDefaults,
  steps: number,
  scheduler: string,
): GuidanceSchedule {
  switch (s.name) {
    case "every":
      return createEverySchedule(s, defaults, steps, scheduler);
    case "interval":
      return createIntervalSchedule(s, defaults, steps, scheduler);
    case "sigma_interval":
      return createSigmaIntervalSchedule(s, defaults, steps, scheduler);
    case "first_k":
      return createFirstKSchedule(s, defaults, steps, scheduler);
    case "ag_latch":
      return createAgLatchSchedule(s, defaults, steps, scheduler);
    case "linear_ag":
      return createLinearAgSchedule(s, defaults, steps, scheduler);
    case "reuse":
      return createReuseSchedule(s, defaults, steps, scheduler);
  }
}
