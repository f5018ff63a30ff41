// Guidance interval (Kynkäänniemi et al., arXiv 2404.07724): the extras only where
// sigma_lo < σ ≤ sigma_hi, σ in EDM units (σ_VP/α), cond alone elsewhere. The gate needs the
// step's σ, which the edge cannot know, so shared's bound counts every step.
import type { ScheduleFactory, StepContext } from "../types.ts";
import { gated } from "./gated.ts";

export const createSigmaIntervalSchedule: ScheduleFactory<"sigma_interval"> = (params) => {
  const inWindow = (ctx: StepContext) => {
    const sigma = ctx.sigma / ctx.alpha; // α = 0 (zero terminal SNR) is σ = ∞, outside any window
    return sigma > params.sigma_lo && sigma <= params.sigma_hi;
  };
  let next = 0; // the step that runs next; withNfeCap asks about later ones with this step's σ
  const schedule = gated(
    {
      open: inWindow,
      observe: (ctx) => {
        next = ctx.step + 1;
      },
      reset: () => {
        next = 0;
      },
    },
    "conditional",
  );
  // A later step's σ is unknown here: answer the worst case, so a cap's plan keeps room for it.
  return { ...schedule, evaluates: (ctx) => ctx.step > next || inWindow(ctx) };
};
