// No guidance: the conditional prediction as is, one NFE per step whatever the schedule.
import { RULE_EXTRAS } from "@guidegate/shared";
import { fromEps } from "../convert.ts";
import type { RuleFactory } from "../types.ts";

export const createNoneRule: RuleFactory<"none"> = () => ({
  extras: RULE_EXTRAS.none,
  combine: (ctx, cond) => fromEps(cond, ctx),
});
