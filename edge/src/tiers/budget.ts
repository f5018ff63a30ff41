// A tier is a budget, not a recipe (issue 16): a request without `guidance` gets the best point of the
// model's measured frontier (rule, schedule, scheduler and, unless the request names them, steps) whose
// worst-case NFEs per image fit the tier's budget and the request's own `max_nfe`. A model without a
// frontier, or one with no point that fits, gets the documented safe default (safeDefault).
import {
  type FrontierPoint,
  nfeBound,
  type PairGuidance,
  PairGuidanceSchema,
  RULE_EXTRAS,
  rulesOf,
  type SchedulerName,
  schedulesOf,
  type Tier,
} from "@guidegate/shared";
import type { ModelInfo } from "./models.ts";

/** NFEs per step of full CFG: the conditional and the unconditional branch. */
const CFG_NFE_PER_STEP = 2;
/** One-sided 95% Wilson bound: a point measured on few prompts must beat a well-measured one by more. */
const WILSON_Z = 1.645;

/** What budgets are fractions of: full CFG's NFEs per image at the model's default step count. */
export const fullCfgNfePerImage = (defaultSteps: number): number => CFG_NFE_PER_STEP * defaultSteps;

/** The budget's ceiling on NFEs per image. */
export function tierNfePerImage(tier: Tier, defaultSteps: number): number {
  return tier.budget.nfe_fraction_max * fullCfgNfePerImage(defaultSteps);
}

export interface Candidate {
  scheduler: SchedulerName;
  steps: number;
  point: FrontierPoint;
  guidance: PairGuidance;
  /** Worst-case NFEs per image (what the edge reserves), never below what calibration measured. */
  nfePerImage: number;
  /** Adherence's lower confidence bound where measured, else SSIM against the rule's full-NFE output. */
  quality: number;
}

/** Wilson's lower bound of a proportion measured on `n` prompts (n unknown: the bare proportion). */
export function adherenceLowerBound(p: number, n: number | undefined): number {
  if (!n) return p;
  const z2 = WILSON_Z * WILSON_Z;
  const centre = p + z2 / (2 * n);
  const margin = WILSON_Z * Math.sqrt((p * (1 - p)) / n + z2 / (4 * n * n));
  return (centre - margin) / (1 + z2 / n);
}

const qualityOf = (p: FrontierPoint): number =>
  p.adherence !== undefined ? adherenceLowerBound(p.adherence, p.prompts) : p.ssim;

/**
 * Whether the model runs this pair. The tier's `allowed` list is not consulted: it bounds what explicit
 * guidance may name, while what a request without guidance buys is bounded by the budget (a cheaper
 * CFG++ at fewer steps is a better buy for eco than the presets it may name).
 */
export function modelRuns(model: ModelInfo, g: PairGuidance): boolean {
  const rules = rulesOf(model.policies);
  const schedules = schedulesOf(model.policies);
  return rules.includes(g.rule.name) && (RULE_EXTRAS[g.rule.name].length === 0 || schedules.includes(g.schedule.name));
}

export interface BudgetAsk {
  /** The request's own step count and scheduler, when it names them. */
  steps?: number;
  scheduler?: SchedulerName;
  /** NFEs per image: the tier's ceiling, lowered by the request's max_nfe / n. */
  nfePerImage: number;
}

/** Every frontier point of the model the tier may run within the ask, with its cost and quality. */
export function candidates(tier: Tier, model: ModelInfo, ask: BudgetAsk): Candidate[] {
  const out: Candidate[] = [];
  for (const entry of model.frontier ?? []) {
    if (entry.steps > tier.max_steps || (ask.steps !== undefined && entry.steps !== ask.steps)) continue;
    if (ask.scheduler !== undefined && entry.scheduler !== ask.scheduler) continue;
    for (const point of entry.points) {
      // Health already parsed the point's rule and schedule (every default filled in).
      const guidance: PairGuidance = { rule: point.rule, schedule: point.schedule };
      if (!modelRuns(model, guidance)) continue;
      const nfePerImage = Math.max(nfeBound(guidance, entry.steps), point.nfe_per_image);
      if (nfePerImage > ask.nfePerImage) continue;
      out.push({
        scheduler: entry.scheduler,
        steps: entry.steps,
        point,
        guidance,
        nfePerImage,
        quality: qualityOf(point),
      });
    }
  }
  return out;
}

/** Higher quality first; on a tie the cheaper point, then the one with more steps. */
const better = (a: Candidate, b: Candidate) =>
  b.quality - a.quality || a.nfePerImage - b.nfePerImage || b.steps - a.steps;

/** The point a tier buys: the best that fits, or with a quality floor the cheapest that reaches it. */
export function bestPoint(tier: Tier, model: ModelInfo, ask: BudgetAsk): Candidate | undefined {
  const all = candidates(tier, model, ask).sort(better);
  const floor = tier.budget.quality_floor;
  if (floor === undefined) return all[0];
  const reaching = all.filter((c) => c.quality >= floor);
  return reaching.sort((a, b) => a.nfePerImage - b.nfePerImage || better(a, b))[0] ?? all[0];
}

/**
 * Where no frontier point fits (no frontier, or steps it was not measured at): CFG at the model's scale
 * on every step when 2 NFEs a step fit the budget; else CFG on the first k steps that fit (Step AG,
 * arXiv 2506.08351: early steps carry most of guidance's effect); else no guidance (1 NFE a step).
 * Only what the model runs; undefined when it runs none of it, for the caller's last resort.
 */
export function safeDefault(model: ModelInfo, steps: number, nfePerImage: number): PairGuidance | undefined {
  const k = Math.min(steps, Math.floor(nfePerImage) - steps);
  const cfg = { name: "cfg" } as const;
  const options = [
    ...(k >= steps ? [{ rule: cfg, schedule: { name: "every" } }] : []),
    ...(k >= 1 ? [{ rule: cfg, schedule: { name: "first_k", k } }] : []),
    { rule: { name: "none" }, schedule: { name: "every" } },
  ].map((g) => PairGuidanceSchema.parse(g));
  return options.find((g) => modelRuns(model, g));
}
