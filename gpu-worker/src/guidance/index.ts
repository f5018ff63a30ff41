// Guidance policy registry. Policies keep per-trajectory state (AG's latch, LinearAG's history,
// APG's momentum, reused directions): create one per image and call steps in order from 0.
import { type Guidance, type GuidanceInput, GuidanceSchema, nfeBound } from "@guidegate/shared";
import { createAg } from "./ag.ts";
import { createApg } from "./apg.ts";
import { createCfg } from "./cfg.ts";
import { createCfgZeroStar } from "./cfg_zero_star.ts";
import { createCfgpp } from "./cfgpp.ts";
import { createInterval } from "./interval.ts";
import { createLinearAg } from "./linear_ag.ts";
import { createNone } from "./none.ts";
import { createPag } from "./pag.ts";
import type { GuidancePolicy, ModelGuidanceDefaults } from "./types.ts";

export { withNfeCap } from "./capped.ts";
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
  if (!Number.isInteger(steps) || steps < 1) throw new RangeError(`${parsed.data.policy}: steps must be a positive integer`);
  return build(parsed.data, defaults, steps, scheduler);
}

/** One case per policy, so each factory gets its own parsed type without a cast. */
function build(g: Guidance, defaults: ModelGuidanceDefaults, steps: number, scheduler: string): GuidancePolicy {
  switch (g.policy) {
    case "none":
      return createNone(g, defaults, steps, scheduler);
    case "cfg":
      return createCfg(g, defaults, steps, scheduler);
    case "ag":
      return createAg(g, defaults, steps, scheduler);
    case "linear_ag":
      return createLinearAg(g, defaults, steps, scheduler);
    case "apg":
      return createApg(g, defaults, steps, scheduler);
    case "cfgpp":
      return createCfgpp(g, defaults, steps, scheduler);
    case "pag":
      return createPag(g, defaults, steps, scheduler);
    case "interval":
      return createInterval(g, defaults, steps, scheduler);
    case "cfg_zero_star":
      return createCfgZeroStar(g, defaults, steps, scheduler);
  }
}

/** Worst-case NFEs per image before any cap: shared's bound, which the edge reserves. */
export function nfeBoundOf(guidance: GuidanceInput, steps: number): number {
  return nfeBound(guidance, steps);
}
