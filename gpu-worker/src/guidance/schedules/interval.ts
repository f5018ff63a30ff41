// Guidance interval on the step fraction (diffusers' start/stop): the extras only on steps with
// start ≤ i/steps < end, cond alone elsewhere. Kynkäänniemi et al. (arXiv 2404.07724) gate on σ
// instead: sigma_interval.ts.
import type { ScheduleFactory } from "../types.ts";
import { gated, plannedGate } from "./gated.ts";

export const createIntervalSchedule: ScheduleFactory<"interval"> = (params, _defaults, steps) =>
  gated(plannedGate(params, steps), "conditional");
