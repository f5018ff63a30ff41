// Guidance policy registry: every guidance, preset or pair, runs as a rule under a schedule.
// Policies keep per-trajectory state (AG's latch, LinearAG's history, APG's momentum, reused
// directions): create one per image and call steps in order from 0.
import {
  asPair,
  type GuidanceInput,
  GuidanceSchema,
  guidanceName,
  nfeBound,
  type ScheduleParams,
} from "@guidegate/shared";
import { composePolicy } from "./compose.ts";
import { createRule } from "./rules/index.ts";
import { createSchedule } from "./schedules/index.ts";
import { linearAgFit } from "./schedules/linear_ag.ts";
import type { GuidancePolicy, ModelGuidanceDefaults } from "./types.ts";

export { withNfeCap } from "./capped.ts";
export { composePolicy } from "./compose.ts";
export type * from "./types.ts";

/** Validates the guidance against shared's schema (filling its defaults) and builds the policy. */
export function createPolicy(
  guidance: GuidanceInput,
  defaults: ModelGuidanceDefaults,
  steps: number,
  scheduler: string,
): GuidancePolicy {
  const parsed = GuidanceSchema.safeParse(guidance);
  if (!parsed.success) throw new Error(`guidance: ${parsed.error.message}`);
  const name = guidanceName(parsed.data);
  if (!Number.isInteger(steps) || steps < 1) throw new RangeError(`${name}: steps must be a positive integer`);
  const { rule, schedule } = asPair(parsed.data);
  const ruleDefaults = defaultsUnder(schedule, defaults, steps, scheduler);
  return composePolicy(name, createRule(rule, ruleDefaults), createSchedule(schedule, defaults, steps, scheduler));
}

/**
 * The model defaults a rule sees under a schedule: LinearAG's coefficients were fitted under CFG
 * at their own scale, so that scale is the model's CFG scale wherever they are used.
 */
function defaultsUnder(
  schedule: ScheduleParams,
  defaults: ModelGuidanceDefaults,
  steps: number,
  scheduler: string,
): ModelGuidanceDefaults {
  const fit = schedule.name === "linear_ag" ? linearAgFit(defaults, steps, scheduler) : undefined;
  return fit ? { ...defaults, scale: fit.scale } : defaults;
}

/** Worst-case NFEs per image before any cap: shared's bound, which the edge reserves. */
export function nfeBoundOf(guidance: GuidanceInput, steps: number): number {
  return nfeBound(guidance, steps);
}
