// The extras every `period`-th step from step 0, and the last direction c − b reused in between:
// a fixed-period form of the stand-in that kept CFG-best quality under caps (stand_in.ts).
import type { ScheduleFactory } from "../types.ts";
import { gated, plannedGate } from "./gated.ts";

export const createReuseSchedule: ScheduleFactory<"reuse"> = (params, _defaults, steps) =>
  gated(plannedGate(params, steps), "reuse");
