// Decide, before any I/O, what a request may run: model, size, steps, n, guidance policy and
// the NFEs to reserve. Every refusal is an ApiError naming the field at fault.
import {
  DEFAULT_STRENGTH,
  editImages,
  type GenerationRequest,
  type Guidance,
  nfeBound,
  nfeFloor,
  type PairGuidance,
  parseGuidance,
  parseSize,
  type PolicyName,
  RULE_EXTRAS,
  rulesOf,
  runSteps,
  type SchedulerName,
  schedulesOf,
  type Tier,
} from "@guidegate/shared";
import { forbidden, invalidRequest, serverError } from "../errors.ts";
import { bestPoint, type Candidate, safeDefault, tierNfePerImage } from "./budget.ts";
import { findModel, type ModelInfo, supportsPolicy } from "./models.ts";

export interface ResolvedGeneration {
  model: ModelInfo;
  width: number;
  height: number;
  size: string;
  /** Images made: n per source image of an edit. */
  n: number;
  steps: number;
  /** The scheduler to run: the request's, or the resolved frontier point's; undefined leaves it to the worker. */
  scheduler: SchedulerName | undefined;
  /** Of those, the steps that run: all, or an edit's last ceil(strength × steps). */
  runSteps: number;
  /** An edit's strength; undefined for text-to-image. */
  strength: number | undefined;
  guidance: Guidance;
  /** The frontier point the tier's budget bought, when the request named no guidance and one fitted. */
  point: Candidate | undefined;
  /** NFEs reserved and handed to the worker as its hard cap: min(n·bound, max_nfe). */
  reserve: number;
  /** Worst case without the caller's cap, n·nfeBound(guidance, steps). */
  bound: number;
}

/** The first policy the tier allows and the model runs: the last resort when no safe default is allowed. */
function firstAllowed(tier: Tier, model: ModelInfo): PolicyName | undefined {
  return tier.allowed.find((p) => supportsPolicy(model, p));
}

const defaults = new Map<PolicyName, Guidance>();

/** A policy with every parameter at its schema default: parsed once per policy (frozen, since it is shared),
 * not per request. */
export function withDefaults(policy: PolicyName): Guidance {
  let g = defaults.get(policy);
  if (!g) {
    g = Object.freeze(parseGuidance({ policy }));
    defaults.set(policy, g);
  }
  return g;
}

/**
 * A rule × schedule pair is allowed where the tier allows a preset with its rule and one with its
 * schedule (schedules without a preset go with their family: shared's schedulesOf), and runs on
 * models that run a preset with its rule.
 */
function checkPair(tierName: string, tier: Tier, model: ModelInfo, asked: PairGuidance): PairGuidance {
  const { rule, schedule } = asked;
  if (!rulesOf(tier.allowed).includes(rule.name))
    throw forbidden(
      "policy_not_allowed",
      `Guidance rule "${rule.name}" is not available in the ${tierName} tier.`,
      "guidance.rule.name",
    );
  // A rule without extra branches has nothing to schedule.
  if (RULE_EXTRAS[rule.name].length > 0 && !schedulesOf(tier.allowed).includes(schedule.name))
    throw forbidden(
      "policy_not_allowed",
      `Guidance schedule "${schedule.name}" is not available in the ${tierName} tier.`,
      "guidance.schedule.name",
    );
  if (!rulesOf(model.policies).includes(rule.name))
    throw invalidRequest(
      "policy_not_supported",
      `Model "${model.id}" does not support guidance rule "${rule.name}".`,
      "guidance.rule.name",
    );
  return asked;
}

interface Choice {
  guidance: Guidance;
  steps: number;
  /** The frontier entry's scheduler where the tier's default chose one; else the request's (or the worker's). */
  scheduler: SchedulerName | undefined;
  /** The frontier point a request without guidance resolved to; undefined for explicit guidance and safe defaults. */
  point: Candidate | undefined;
}

function explicitGuidance(tierName: string, tier: Tier, model: ModelInfo, asked: Guidance): Guidance {
  if (asked.policy === undefined) return checkPair(tierName, tier, model, asked);
  if (!tier.allowed.includes(asked.policy))
    throw forbidden(
      "policy_not_allowed",
      `Guidance policy "${asked.policy}" is not available in the ${tierName} tier.`,
      "guidance.policy",
    );
  if (!supportsPolicy(model, asked.policy))
    throw invalidRequest(
      "policy_not_supported",
      `Model "${model.id}" does not support guidance policy "${asked.policy}".`,
      "guidance.policy",
    );
  return asked;
}

/**
 * Explicit guidance wins where the tier allows it; without it the tier's budget buys the best frontier
 * point (budget.ts), steps included unless the request names them, else the safe default.
 */
export function chooseGuidance(
  tierName: string,
  tier: Tier,
  model: ModelInfo,
  req: Pick<GenerationRequest, "guidance" | "steps" | "scheduler" | "max_nfe">,
  n: number,
  defaultSteps: number,
): Choice {
  const steps = req.steps ?? Math.min(defaultSteps, tier.max_steps);
  if (req.guidance)
    return {
      guidance: explicitGuidance(tierName, tier, model, req.guidance),
      steps,
      scheduler: req.scheduler,
      point: undefined,
    };
  const nfePerImage = Math.min(tierNfePerImage(tier, defaultSteps), (req.max_nfe ?? Number.POSITIVE_INFINITY) / n);
  const point = bestPoint(tier, model, { steps: req.steps, scheduler: req.scheduler, nfePerImage });
  if (point) return { guidance: point.guidance, steps: point.steps, scheduler: point.scheduler, point };
  const fallback = safeDefault(model, steps, nfePerImage) ?? firstAllowed(tier, model);
  if (!fallback)
    throw serverError("tier_misconfigured", `No policy of this tier is available for model "${model.id}".`);
  const guidance = typeof fallback === "string" ? withDefaults(fallback) : fallback;
  return { guidance, steps, scheduler: req.scheduler, point: undefined };
}

/** CFG-Zero* zero-initialising every step would run nothing and return noise-free zeros: refuse the field that asks it. */
function checkZeroInit(g: Guidance, steps: number): void {
  if (nfeFloor(g, steps) > 0) return;
  const field = g.policy === undefined ? "guidance.rule.zero_init_steps" : "guidance.zero_init_steps";
  throw invalidRequest(
    "invalid_value",
    `${field} must be less than steps (${steps}): with every step zero-initialised nothing is generated.`,
    field,
  );
}

export function resolveGeneration(
  tierName: string,
  tier: Tier,
  req: GenerationRequest,
  models: readonly ModelInfo[],
  defaultSteps: number,
): ResolvedGeneration {
  const model = findModel(models, req.model);
  if (!model) {
    const known = models.map((m) => m.id).join(", ");
    throw invalidRequest("model_not_found", `Model "${req.model}" does not exist; use one of ${known}.`, "model");
  }

  const size = req.size ?? model.sizes[0]!;
  if (!model.sizes.includes(size))
    throw invalidRequest(
      "unsupported_size",
      `Size ${size} is not supported by model "${model.id}"; use one of ${model.sizes.join(", ")}.`,
      "size",
    );

  const sources = editImages(req).length;
  const n = req.n * Math.max(1, sources); // each source image is edited n times
  if (n > tier.max_n)
    throw forbidden(
      "limit_exceeded",
      `n (times the images edited) may be at most ${tier.max_n} in the ${tierName} tier.`,
      "n",
    );
  if (req.steps !== undefined && req.steps > tier.max_steps)
    throw forbidden("limit_exceeded", `steps may be at most ${tier.max_steps} in the ${tierName} tier.`, "steps");
  if (req.negative_prompt !== undefined && !model.negative_prompt)
    throw invalidRequest(
      "unsupported_parameter",
      `Model "${model.id}" does not take a negative prompt.`,
      "negative_prompt",
    );

  const { guidance, steps, scheduler, point } = chooseGuidance(tierName, tier, model, req, n, defaultSteps);
  const strength = sources > 0 ? (req.strength ?? DEFAULT_STRENGTH) : undefined;
  const ran = runSteps(steps, strength);
  // Nothing to run, bill or reserve: the caller already has the source.
  if (ran === 0)
    throw invalidRequest(
      "invalid_value",
      "strength must be above 0: at 0 the edit returns the source unchanged.",
      "strength",
    );
  checkZeroInit(guidance, steps);
  const bound = n * nfeBound(guidance, steps, strength);
  // Every step that runs the model costs at least one NFE per image: a cap below that can never complete.
  // An edit runs its last `ran` steps; zero-init steps (cfg_zero_star) evaluate nothing.
  const floor = n * (strength !== undefined ? ran : nfeFloor(guidance, steps));
  if (req.max_nfe !== undefined && req.max_nfe < floor)
    throw invalidRequest(
      "max_nfe_too_low",
      `max_nfe must be at least ${floor} for ${n} image(s) over ${ran} steps (each step that runs the model costs at least 1 NFE per image).`,
      "max_nfe",
    );
  const reserve = Math.min(bound, req.max_nfe ?? Number.POSITIVE_INFINITY);
  const { width, height } = parseSize(size);
  return { model, width, height, size, n, steps, scheduler, runSteps: ran, strength, guidance, point, reserve, bound };
}
