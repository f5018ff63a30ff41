// Perturbed-Attention Guidance alone (Ahn et al., arXiv 2403.17377): c + s·(c − c_ptb), the
// perturbed branch being cond with identity self-attention. Linear, so ε space is fine.
import { RULE_EXTRAS } from "@guidegate/shared";
import { fromEps } from "../convert.ts";
import type { RuleFactory } from "../types.ts";

export const createPagRule: RuleFactory<"pag"> = (params) => {
  const s = params.pag_scale;
  return {
    extras: RULE_EXTRAS.pag,
    combine: (ctx, c, { perturbed: p }) => fromEps(p ? addPagTerm(c, c, p, s) : c, ctx),
  };
};

/** base + s·(c − c_ptb): PAG's term on top of whatever the base guidance is. */
export function addPagTerm(base: Float32Array, c: Float32Array, p: Float32Array, s: number): Float32Array {
  return base.map((v, k) => v + s * (c[k]! - p[k]!));
}
