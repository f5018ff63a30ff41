// PAG on top of CFG (Ahn et al., arXiv 2403.17377): u + w·(c − u) + s·(c − c_ptb), both extra
// branches evaluated (3 NFEs a step); a missing one drops its own term only.
import { RULE_EXTRAS } from "@guidegate/shared";
import { fromEps } from "../convert.ts";
import { cfgScale } from "../params.ts";
import type { RuleFactory } from "../types.ts";
import { guide } from "../vector.ts";
import { addPagTerm } from "./pag.ts";

export const createPagCfgRule: RuleFactory<"pag_cfg"> = (params, defaults) => {
  const w = cfgScale(params.scale, defaults);
  const s = params.pag_scale;
  return {
    extras: RULE_EXTRAS.pag_cfg,
    combine(ctx, c, { uncond: u, perturbed: p }) {
      const base = u ? guide(u, c, w) : c;
      return fromEps(p ? addPagTerm(base, c, p, s) : base, ctx);
    },
  };
};
