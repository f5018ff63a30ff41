// Guidance policy registry. Policies keep per-trajectory state (AG's latch, LinearAG's history,
// APG's momentum, reused directions): create one per image and call steps in order from 0.
import { type Guidance, nfeBound, type PolicyName, PolicyParams } from "@guidegate/shared";
import { createAg } from "./ag.ts";
import { createApg } from "./apg.ts";
import { createCfg } from "./cfg.ts";
import { createCfgZeroStar } from "./cfg_zero_star.ts";
import { createCfgpp } from "./cfgpp.ts";
import { createInterval } from "./interval.ts";
import { createLinearAg } from "./linear_ag.ts";
import { createNone } from "./none.ts";
import { createPag } from "./pag.ts";
import type { GuidancePolicy, ModelGuidanceDefaults, PolicyFactory } from "./types.ts";

export { withNfeCap } from "./capped.ts";
export type * from "./types.ts";

export const POLICY_FACTORIES: Record<PolicyName, PolicyFactory> = {
  none: createNone,
  cfg: createCfg,
  ag: createAg,
  linear_ag: createLinearAg,
  apg: createApg,
  cfgpp: createCfgpp,
  pag: createPag,
  interval: createInterval,
  cfg_zero_star: createCfgZeroStar,
};

/** Validates the parameters against shared's schema (filling its defaults) and builds the policy. */
export function createPolicy(
  guidance: Guidance,
  defaults: ModelGuidanceDefaults,
  steps: number,
  scheduler: string,
): GuidancePolicy {
  const { policy, ...params } = guidance;
  const factory = POLICY_FACTORIES[policy];
  if (!factory) throw new Error(`unknown guidance policy: ${String(policy)}`);
  if (!Number.isInteger(steps) || steps < 1) throw new RangeError(`${policy}: steps must be a positive integer`);
  const parsed = PolicyParams[policy].safeParse(params);
  if (!parsed.success) throw new Error(`guidance.${policy}: ${parsed.error.message}`);
  return factory(parsed.data as Record<string, unknown>, defaults, steps, scheduler);
}

/** Worst-case NFEs per image before any cap: shared's bound, which the edge reserves. */
export function nfeBoundOf(guidance: Guidance, steps: number): number {
  return nfeBound(guidance, steps);
}
