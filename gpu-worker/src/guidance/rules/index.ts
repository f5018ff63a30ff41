// Rule registry: one case per rule, so each factory gets its own parsed type without a cast.
import type { RuleParams } from "@guidegate/shared";
import type { GuidanceRule, ModelGuidanceDefaults } from "../types.ts";
import { createApgRule } from "./apg.ts";
import { createCfgRule } from "./cfg.ts";
import { createCfgZeroStarRule } from "./cfg_zero_star.ts";
import { createCfgppRule } from "./cfgpp.ts";
import { createNoneRule } from "./none.ts";
import { createPagRule } from "./pag.ts";
import { createPagCfgRule } from "./pag_cfg.ts";

export function createRule(r: RuleParams, defaults: ModelGuidanceDefaults): GuidanceRule {
  switch (r.name) {
    case "none":
      return createNoneRule(r, defaults);
    case "cfg":
      return createCfgRule(r, defaults);
    case "apg":
      return createApgRule(r, defaults);
    case "cfgpp":
      return createCfgppRule(r, defaults);
    case "cfg_zero_star":
      return createCfgZeroStarRule(r, defaults);
    case "pag":
      return createPagRule(r, defaults);
    case "pag_cfg":
      return createPagCfgRule(r, defaults);
  }
}
