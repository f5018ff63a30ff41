// The shape most schedules share: evaluate the extras where a gate is open (standing in for
// any an NFE cap skipped with the last direction), and outside it run cond alone or keep guiding
// along the last direction. Only LinearAG stands in differently (it predicts).
import { type AgAfterLatch, plannedExtraStep, type ScheduleParams } from "@guidegate/shared";
import { DirectionStandIns } from "../stand_in.ts";
import type { CombinedStep, GuidanceSchedule, StepContext } from "../types.ts";

export interface Gate {
  /** Whether the extras are wanted at this step. Reads state only. */
  open(ctx: StepContext): boolean;
  observe?(ctx: StepContext, step: CombinedStep): void;
  reset?(): void;
}

export function gated(gate: Gate, outside: AgAfterLatch): GuidanceSchedule {
  const standIns = new DirectionStandIns();
  return {
    evaluates: (ctx) => gate.open(ctx),
    resolve(ctx, branch, cond, actual) {
      if (gate.open(ctx)) return standIns.resolve(branch, cond, actual);
      // Outside the gate a real output (if any) is ignored: the NFE was not meant to be spent.
      return outside === "reuse" ? standIns.resolve(branch, cond, undefined) : undefined;
    },
    observe: (ctx, step) => gate.observe?.(ctx, step),
    reset() {
      standIns.reset();
      gate.reset?.();
    },
  };
}

/** A gate the request alone decides: shared's plannedExtraStep, which the edge's bound counts. */
export function plannedGate(params: ScheduleParams, steps: number): Gate {
  return { open: (ctx) => plannedExtraStep(params, ctx.step, steps) === true };
}
