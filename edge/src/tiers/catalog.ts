// What a tier may use, for GET /v1/policies and GET /v1/models.
import {
  asPair,
  nfePerStepBound,
  type PolicyName,
  RULE_EXTRAS,
  rulesOf,
  schedulesOf,
  type Tier,
} from "@guidegate/shared";
import { tierNfePerImage } from "./budget.ts";
import { chooseGuidance, withDefaults } from "./resolve.ts";
import { type ModelInfo, supportsPolicy } from "./models.ts";

export interface PolicyEntry {
  policy: PolicyName;
  default: boolean;
  /** Worst-case NFEs per step for one image, with the policy's default parameters. */
  nfe_per_step_bound: number;
  /** Worst-case price of one step of one image, in micro-USD. */
  max_cost_micro_usd_per_step: number;
  models: string[];
}

export function listPolicies(tierName: string, tier: Tier, models: readonly ModelInfo[], defaultSteps: number) {
  const first = models[0];
  // What a request without guidance resolves to on the default model (GET /v1/models/{id}/guidance has every model).
  const choice = first ? chooseGuidance(tierName, tier, first, {}, 1, defaultSteps) : undefined;
  // A preset is "the default" when it stands for the very pair the budget resolved to.
  const dflt = choice ? JSON.stringify(asPair(choice.guidance)) : undefined;
  const data: PolicyEntry[] = tier.allowed.map((policy) => {
    const perStep = nfePerStepBound(withDefaults(policy));
    return {
      policy,
      default: JSON.stringify(asPair(withDefaults(policy))) === dflt,
      nfe_per_step_bound: perStep,
      max_cost_micro_usd_per_step: perStep * tier.price_micro_usd_per_nfe,
      models: models.filter((m) => supportsPolicy(m, policy)).map((m) => m.id),
    };
  });
  return {
    object: "list" as const,
    tier: tierName,
    budget: { ...tier.budget, nfe_per_image_max: tierNfePerImage(tier, defaultSteps) },
    ...(choice
      ? { default_guidance: { guidance: choice.guidance, steps: choice.steps, scheduler: choice.scheduler } }
      : {}),
    limits: { max_steps: tier.max_steps, max_n: tier.max_n },
    price_micro_usd_per_nfe: tier.price_micro_usd_per_nfe,
    data,
    // What a {rule, schedule} request may name in this tier (docs/guidance.md has their bounds).
    rules: rulesOf(tier.allowed).map((rule) => ({ rule, extra_branches: RULE_EXTRAS[rule].length })),
    schedules: schedulesOf(tier.allowed),
  };
}

export function listModels(models: readonly ModelInfo[], created: number) {
  return {
    object: "list" as const,
    data: models.map((m) => ({
      id: m.id,
      object: "model" as const,
      created,
      owned_by: "guidegate",
      sizes: m.sizes,
      policies: m.policies,
      negative_prompt: m.negative_prompt,
      ...(m.description ? { description: m.description } : {}),
    })),
  };
}
