// Step AG (arXiv 2506.08351): guidance on the first k steps only, which it reports keeps quality
// at a 20-30% saving; afterwards cond alone, or (after: "reuse") the last direction, as FastVideo's
// "CFG gating" does (reference/guidance.md §2.1).
import type { ScheduleFactory } from "../types.ts";
import { gated, plannedGate } from "./gated.ts";

export const createFirstKSchedule: ScheduleFactory<"first_k"> = (params, _defaults, steps) =>
  gated(plannedGate(params, steps), params.after);
