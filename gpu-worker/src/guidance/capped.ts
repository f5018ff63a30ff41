// `max_nfe` for one image: a wrapper that grants each step its conditional branch and hands the
// remaining budget to guided steps spread over the trajectory. Policies cover the skipped
// branches by reusing their last guidance direction (their combine() handles missing branches).
import type { Branch, GuidancePolicy, StepContext } from "./types.ts";

/** Density of guided steps runs from 1 + FRONT_LOAD at the start to 1 − FRONT_LOAD at the end. */
const FRONT_LOAD = 0.3;

/**
 * Never lets the image exceed `budgetPerImage` NFEs over `steps` steps. Each step costs one NFE
 * for "cond" plus one per extra branch; `condSteps` of them run cond at all (shared's nfeFloor:
 * fewer than `steps` when CFG-Zero* zero-inits some). Requires `branches()` to be side-effect free apart
 * from starting a new trajectory at step 0: at step 0 the wrapper asks it about every step to plan.
 */
export function withNfeCap(
  policy: GuidancePolicy,
  budgetPerImage: number,
  steps: number,
  condSteps = steps,
): GuidancePolicy {
  if (!Number.isInteger(steps) || steps < 1)
    throw new RangeError(`withNfeCap: steps must be a positive integer, got ${steps}`);
  if (!Number.isFinite(budgetPerImage) || budgetPerImage < condSteps) {
    throw new RangeError(
      `max_nfe: ${budgetPerImage} NFEs per image cannot cover ${steps} steps; every step that runs the model needs its conditional evaluation, so allow at least ${condSteps} per image or use fewer steps`,
    );
  }
  const budget = Math.floor(budgetPerImage);
  let planned = new Set<number>();
  const spentAt = new Map<number, number>();

  return {
    name: policy.name,
    branches(ctx) {
      const wanted = policy.branches(ctx);
      if (ctx.step === 0 || spentAt.size === 0) {
        spentAt.clear();
        planned = planGuidedSteps(policy, ctx, wanted, steps, budget);
      }
      const base: Branch[] = wanted.includes("cond") ? ["cond"] : [];
      const extras = wanted.filter((b) => b !== "cond");
      let spentBefore = 0;
      for (const [step, n] of spentAt) if (step < ctx.step) spentBefore += n;
      // Keep one NFE for every later step's cond, so the cap holds whatever the policy asks later.
      const affordable = budget - spentBefore - base.length - Math.max(0, steps - 1 - ctx.step);
      const granted = planned.has(ctx.step) ? extras.slice(0, Math.max(0, affordable)) : [];
      const result = [...base, ...granted];
      spentAt.set(ctx.step, result.length);
      return result;
    },
    combine: (ctx, out) => policy.combine(ctx, out),
  };
}

/**
 * Which steps get their extra branches. The first step that wants guidance always does (every later
 * step can reuse its direction); the rest are spread over the remaining demand, slightly denser early
 * since the prototype found early guidance matters more.
 */
function planGuidedSteps(
  policy: GuidancePolicy,
  ctx: StepContext,
  wantedNow: Branch[],
  steps: number,
  budget: number,
): Set<number> {
  const demand: Array<{ step: number; extras: number }> = [];
  let baseTotal = 0;
  for (let j = ctx.step; j < steps; j++) {
    const wanted = j === ctx.step ? wantedNow : policy.branches({ ...ctx, step: j });
    const extras = wanted.filter((b) => b !== "cond").length;
    baseTotal += wanted.includes("cond") ? 1 : 0;
    if (extras > 0) demand.push({ step: j, extras });
  }
  const extraBudget = budget - baseTotal;
  const totalDemand = demand.reduce((sum, d) => sum + d.extras, 0);
  if (totalDemand <= extraBudget) return new Set(demand.map((d) => d.step));
  const perStep = Math.max(...demand.map((d) => d.extras));
  // A budget short of one full guided step still buys a partial one (e.g. PAG's perturbed branch alone).
  const count = Math.min(demand.length, Math.max(Math.floor(extraBudget / perStep), extraBudget > 0 ? 1 : 0));
  return new Set(spreadFrontLoaded(demand.length, count).map((k) => demand[k]!.step));
}

/** `count` distinct indices of 0..total−1: index 0 first, then quantiles of a front-loaded density. */
export function spreadFrontLoaded(total: number, count: number): number[] {
  const a: number = FRONT_LOAD;
  // Inverse CDF of the density 1 + a·(1 − 2p) on [0, 1].
  const quantile = (y: number) => (a === 0 ? y : (1 + a - Math.sqrt((1 + a) ** 2 - 4 * a * y)) / (2 * a));
  const picked: number[] = [];
  for (let t = 0; t < count; t++) {
    const ideal = Math.floor(quantile(t / count) * total);
    const lowest = t === 0 ? 0 : picked[t - 1]! + 1;
    const highest = total - (count - t); // room left for the picks still to come
    picked.push(Math.min(Math.max(ideal, lowest), highest));
  }
  return picked;
}
