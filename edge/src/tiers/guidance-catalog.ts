// GET /v1/models/{id}/guidance: a model's measured frontier and what each tier buys on it, with the
// figures calibration measured (docs/calibration.md), so customers can see what a tier's budget gets.
import { nfeBound, type Tiers } from "@guidegate/shared";
import { fullCfgNfePerImage, tierNfePerImage } from "./budget.ts";
import type { ModelInfo } from "./models.ts";
import { chooseGuidance } from "./resolve.ts";

function frontierRows(model: ModelInfo) {
  return (model.frontier ?? []).flatMap((entry) =>
    entry.points.map((p) => ({
      scheduler: entry.scheduler,
      steps: entry.steps,
      rule: p.rule,
      schedule: p.schedule,
      nfe_per_image: p.nfe_per_image,
      nfe_per_image_bound: nfeBound({ rule: p.rule, schedule: p.schedule }, entry.steps),
      ssim: p.ssim,
      psnr_db: p.psnr_db,
      ...(p.adherence !== undefined ? { adherence: p.adherence } : {}),
      // Calibration scores on its own prompts, never on a held-out test set.
      measured_on: { prompt_set: "calibration" as const, ...(p.prompts ? { prompts: p.prompts } : {}) },
    })),
  );
}

function tierRow(name: string, tiers: Tiers, model: ModelInfo, defaultSteps: number) {
  const tier = tiers[name]!;
  const c = chooseGuidance(name, tier, model, {}, 1, defaultSteps);
  return {
    tier: name,
    budget: { ...tier.budget, nfe_per_image_max: tierNfePerImage(tier, defaultSteps) },
    resolves_to: {
      source: c.point ? ("frontier" as const) : ("safe_default" as const),
      guidance: c.guidance,
      ...(c.scheduler ? { scheduler: c.scheduler } : {}),
      steps: c.steps,
      nfe_per_image_bound: nfeBound(c.guidance, c.steps),
      ...(c.point
        ? {
            nfe_per_image: c.point.point.nfe_per_image,
            ssim: c.point.point.ssim,
            ...(c.point.point.adherence !== undefined ? { adherence: c.point.point.adherence } : {}),
          }
        : {}),
    },
  };
}

export function modelGuidance(model: ModelInfo, tiers: Tiers, defaultSteps: number) {
  return {
    object: "model.guidance" as const,
    model: model.id,
    default_steps: defaultSteps,
    reference_nfe_per_image: fullCfgNfePerImage(defaultSteps),
    frontier: frontierRows(model),
    tiers: Object.keys(tiers).map((name) => tierRow(name, tiers, model, defaultSteps)),
  };
}
