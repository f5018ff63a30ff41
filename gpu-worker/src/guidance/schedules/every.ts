// Every step evaluates the rule's extra branches: the plain form of each rule.
import type { ScheduleFactory } from "../types.ts";
import { gated, plannedGate } from "./gated.ts";

export const createEverySchedule: ScheduleFactory<"every"> = (params, _defaults, steps) =>
  gated(plannedGate(params, steps), "conditional");
