// No guidance: the conditional prediction as is, one NFE per step.
import { condOf, fromEps } from "./convert.ts";
import type { GuidancePolicy, PolicyFactory } from "./types.ts";

export const createNone: PolicyFactory<"none"> = (): GuidancePolicy => ({
  name: "none",
  branches: () => ["cond"],
  combine: (ctx, out) => fromEps(condOf(out, "none"), ctx),
});
