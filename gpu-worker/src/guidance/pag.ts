// Perturbed-Attention Guidance (Ahn et al., arXiv 2403.17377): c + s·(c − c_ptb), on top of
// CFG when its scale exceeds 1: u + w·(c − u) + s·(c − c_ptb). Linear, so ε space is fine.
import { condOf, fromEps } from "./convert.ts";
import { BranchStandIn } from "./stand_in.ts";
import type { Branch, GuidancePolicy, PolicyFactory } from "./types.ts";
import { guide } from "./vector.ts";

export const createPag: PolicyFactory<"pag"> = (params): GuidancePolicy => {
  // shared's nfeBound counts the uncond branch only when w > 1, so the model's calibrated CFG
  // scale is not used here (the wire default is 1, no CFG); 0 < w < 1 is treated as no CFG too.
  const w = params.scale;
  const s = params.pag_scale;
  const withCfg = w > 1;
  // "perturbed" before "uncond": under an NFE cap that grants one extra branch, PAG's own term wins.
  const wanted: Branch[] = withCfg ? ["cond", "perturbed", "uncond"] : ["cond", "perturbed"];
  const perturbed = new BranchStandIn();
  const uncond = new BranchStandIn();
  return {
    name: "pag",
    branches: () => [...wanted],
    combine(ctx, out) {
      if (ctx.step === 0) {
        perturbed.reset();
        uncond.reset();
      }
      const c = condOf(out, "pag");
      // Missing branches (NFE cap) reuse their own last direction, c − u or c − c_ptb; else drop that term.
      const u = withCfg ? uncond.resolve(c, out.uncond) : undefined;
      const p = perturbed.resolve(c, out.perturbed);
      const base = u ? guide(u, c, w) : c;
      if (!p) return fromEps(base, ctx);
      return fromEps(
        base.map((v, k) => v + s * (c[k]! - p[k]!)),
        ctx,
      );
    },
  };
};
