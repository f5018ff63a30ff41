// LinearAG (Castillo et al., arXiv 2312.12487): evaluate the unconditional branch only on the
// steps shared's linearAgUncondStep picks; elsewhere predict it linearly from past estimates,
// with the model's calibrated coefficients for this scheduler and step count, else by reusing
// the last direction. Other extra branches (PAG's) are always predicted by reuse.
import { type ExtraBranch, linearAgUncondStep } from "@guidegate/shared";
import type { LinearAgCoefficients, ModelGuidanceDefaults, ScheduleFactory } from "../types.ts";

/** Direction reuse û_i = c_i − (c_{i−1} − u_{i−1}): the fit-free case (FastVideo "CFG gating"). */
const REUSE: readonly [number, number, number] = [1, -1, 1];

/** The model's coefficients for (scheduler, steps), fitted by `npm run calibrate` under CFG at fit.scale. */
export function linearAgFit(
  defaults: ModelGuidanceDefaults,
  steps: number,
  scheduler: string,
): LinearAgCoefficients | undefined {
  return defaults.linear_ag?.[`${scheduler}:${steps}`];
}

export const createLinearAgSchedule: ScheduleFactory<"linear_ag"> = (_params, defaults, steps, scheduler) => {
  const fit = linearAgFit(defaults, steps, scheduler);
  const history = new Map<ExtraBranch, { cond: Float32Array; value: Float32Array | undefined }>();

  /** b̂_i = a·c_i + b·c_{i−1} + d·b_{i−1}, with calibrated (a, b, d) for uncond when the model has them. */
  const predict = (branch: ExtraBranch, i: number, c: Float32Array): Float32Array | undefined => {
    const prev = history.get(branch);
    if (!prev?.value) return undefined;
    const [a, b, d] = (branch === "uncond" ? fit?.steps[i] : undefined) ?? REUSE;
    const pc = prev.cond;
    const pv = prev.value;
    return c.map((v, k) => a * v + b * pc[k]! + d * pv[k]!);
  };

  return {
    evaluates: (ctx) => linearAgUncondStep(ctx.step, steps),
    resolve(ctx, branch, cond, actual) {
      // A real output skipped by an NFE cap is predicted like any other regressed step.
      const value = actual ?? predict(branch, ctx.step, cond);
      history.set(branch, { cond, value });
      return value;
    },
    reset: () => history.clear(),
  };
};
