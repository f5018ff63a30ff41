// Guidance truncated at a fixed step (request option `truncate`): the request's policy guides the
// steps before `step`, then each step costs one NFE: the conditional branch alone, or with
// after: "reuse" the conditional guided at `scale` along the last evaluated direction c − u.
// It is Adaptive Guidance latching at a chosen step instead of at a threshold, which is how
// bench:ag-statistic measures every latch step of a trajectory.
import type { AgAfterLatch } from "@guidegate/shared";
import { fromEps } from "../guidance/convert.ts";
import { BranchStandIn } from "../guidance/stand_in.ts";
import type { GuidancePolicy } from "../guidance/types.ts";
import { guide } from "../guidance/vector.ts";

export interface Truncation {
  /** First step without the policy's guidance. */
  step: number;
  after: AgAfterLatch;
  /** The CFG scale of the reused direction. */
  scale: number;
}

/** The policy of one image, truncated (a fresh stand-in per trajectory). */
export function truncated(policy: GuidancePolicy, t: Truncation): GuidancePolicy {
  const direction = new BranchStandIn(); // AG's own stand-in: c − (last c − u)
  return {
    name: policy.name,
    branches: (ctx) => (ctx.step < t.step ? policy.branches(ctx) : ["cond"]),
    combine(ctx, out) {
      if (ctx.step < t.step) {
        direction.resolve(out.cond!, out.uncond);
        return policy.combine(ctx, out);
      }
      const u = t.after === "reuse" ? direction.resolve(out.cond!, undefined) : undefined;
      return fromEps(u ? guide(u, out.cond!, t.scale) : out.cond!, ctx);
    },
  };
}
