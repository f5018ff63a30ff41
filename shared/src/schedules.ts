// Guidance schedules as the wire sees them: at which steps a rule's extra branches are evaluated
// and what stands in for them on the others. Orthogonal to the rule, as diffusers' guiders keep
// their start/stop window apart from the combination (reference/guidance.md §10).
import { z } from "zod";
import { UnitSchema } from "./rules.ts";

/**
 * What runs once a schedule stops evaluating the extra branches (AG's latch, the end of the first
 * k steps): `conditional` runs the conditional branch alone (the paper's rule); `reuse` keeps guiding
 * along the last evaluated direction c − u, still one NFE a step.
 */
export const AG_AFTER_LATCH = ["conditional", "reuse"] as const;
export type AgAfterLatch = (typeof AG_AFTER_LATCH)[number];

// Parameter shapes shared by a schedule and the presets built on it, so each default is written once.
// AG's threshold and post-latch rule depend on the model and are resolved by the worker.
export const AG_LATCH_PARAMS = {
  threshold: z.number().finite().min(-1).max(1).optional(),
  after_latch: z.enum(AG_AFTER_LATCH).optional(),
};
export const INTERVAL_PARAMS = { start: UnitSchema.default(0.2), end: UnitSchema.default(0.8) };

/** EDM noise level σ = σ_VP/α (√((1−ᾱ)/ᾱ)), the units of the guidance-interval paper. */
const edmSigma = z.number().finite().min(0).max(1e6);

const schedule = <N extends string, S extends z.ZodRawShape>(name: N, shape: S) =>
  z.strictObject({ name: z.literal(name), ...shape });

export const EverySchedule = schedule("every", {});
/** Step fraction start ≤ i/steps < end (diffusers' start/stop), cond alone outside. */
export const IntervalSchedule = schedule("interval", INTERVAL_PARAMS);
/** Guidance interval on σ (Kynkäänniemi et al., arXiv 2404.07724): sigma_lo < σ ≤ sigma_hi, cond alone outside. */
export const SigmaIntervalSchedule = schedule("sigma_interval", { sigma_lo: edmSigma, sigma_hi: edmSigma });
/** Step AG (arXiv 2506.08351): the extra branches on the first k steps only, then `after`. */
export const FirstKSchedule = schedule("first_k", {
  k: z.number().int().min(0).max(1000),
  after: z.enum(AG_AFTER_LATCH).default("conditional"),
});
/** AG (arXiv 2312.12487): every step until the guided and conditional x0 agree, then `after_latch`. */
export const AgLatchSchedule = schedule("ag_latch", AG_LATCH_PARAMS);
/** LinearAG (arXiv 2312.12487): uncond on linearAgUncondStep's steps, regressed from the past elsewhere. */
export const LinearAgSchedule = schedule("linear_ag", {});
/** The extra branches every `period`-th step from step 0, the last direction reused in between. */
export const ReuseSchedule = schedule("reuse", { period: z.number().int().min(1).max(1000).default(2) });

export const ScheduleSchema = z.discriminatedUnion("name", [
  EverySchedule,
  IntervalSchedule,
  SigmaIntervalSchedule,
  FirstKSchedule,
  AgLatchSchedule,
  LinearAgSchedule,
  ReuseSchedule,
]);
/** A parsed schedule: every schema default filled in. */
export type ScheduleParams = z.output<typeof ScheduleSchema>;
export type ScheduleName = ScheduleParams["name"];
export type ScheduleOf<N extends ScheduleName> = Extract<ScheduleParams, { name: N }>;
export const SCHEDULE_NAMES: readonly ScheduleName[] = ScheduleSchema.options.map((o) => o.shape.name.value);
export const ScheduleNameSchema = z.enum(SCHEDULE_NAMES as [ScheduleName, ...ScheduleName[]]);

/** The step-fraction window start ≤ i/steps < end. */
export function inStepWindow(i: number, steps: number, start: number, end: number): boolean {
  return i / steps >= start && i / steps < end;
}

/** Steps on which `interval` evaluates the extra branches: start <= i/steps < end. */
export function intervalSteps(steps: number, start: number, end: number): number {
  let count = 0;
  for (let i = 0; i < steps; i++) if (inStepWindow(i, steps, start, end)) count++;
  return count;
}

/**
 * Steps of a LinearAG run that evaluate the unconditional branch for real: the first
 * `LINEAR_AG_WARMUP` of the steps and then every `LINEAR_AG_PERIOD`-th. The rest regress it.
 */
export const LINEAR_AG_WARMUP = 0.2;
export const LINEAR_AG_PERIOD = 4;
export function linearAgUncondStep(i: number, steps: number): boolean {
  const warm = Math.max(1, Math.ceil(steps * LINEAR_AG_WARMUP));
  return i < warm || (i - warm) % LINEAR_AG_PERIOD === LINEAR_AG_PERIOD - 1;
}

/**
 * Whether the schedule evaluates the extra branches at step i, where the request alone decides it;
 * undefined where the run decides (AG's latch; σ, which depends on the model's noise schedule).
 * The worker's schedules gate on this, and the edge's bound counts undefined as evaluated.
 */
export function plannedExtraStep(s: ScheduleParams, i: number, steps: number): boolean | undefined {
  switch (s.name) {
    case "every":
      return true;
    case "interval":
      return inStepWindow(i, steps, s.start, s.end);
    case "first_k":
      return i < s.k;
    case "linear_ag":
      return linearAgUncondStep(i, steps);
    case "reuse":
      return i % s.period === 0;
    case "sigma_interval":
    case "ag_latch":
      return undefined;
  }
}
