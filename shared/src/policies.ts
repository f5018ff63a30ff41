// Guidance policies as the wire sees them: names, parameters, and the worst-case NFE bound
// per image, which the edge reserves before dispatch without knowing any tensor.
import { z } from "zod";

const scale = z.number().finite().min(0).max(30);
const unit = z.number().finite().min(0).max(1);

/**
 * What AG does once its statistic latches: `conditional` runs the conditional branch alone (the
 * paper's rule); `reuse` keeps guiding along the last evaluated direction c − u, still one NFE a step.
 */
export const AG_AFTER_LATCH = ["conditional", "reuse"] as const;
export type AgAfterLatch = (typeof AG_AFTER_LATCH)[number];

/**
 * CFG-Zero*'s zero-init is off unless asked for: it is the paper's device for flow-matching velocities,
 * and on our VP (ε/v) models it cost 29 points (docs/guidance.md: 60.5% with one zero step, 89.1% without).
 */
export const CFG_ZERO_STAR_ZERO_INIT_STEPS = 0;

export const PolicyParams = {
  none: z.object({}),
  cfg: z.object({ scale: scale.optional(), rescale: unit.default(0) }),
  ag: z.object({
    scale: scale.optional(),
    threshold: z.number().finite().min(-1).max(1).optional(),
    after_latch: z.enum(AG_AFTER_LATCH).optional(),
  }),
  linear_ag: z.object({ scale: scale.optional() }),
  apg: z.object({
    scale: scale.optional(),
    eta: unit.default(0),
    norm_threshold: z.number().finite().min(0).max(1000).optional(),
    momentum: z.number().finite().min(-0.99).max(0).default(-0.5),
  }),
  cfgpp: z.object({ scale: unit.optional() }),
  pag: z.object({ scale: scale.default(1), pag_scale: z.number().finite().min(0).max(10).default(3) }),
  interval: z.object({ scale: scale.optional(), start: unit.default(0.2), end: unit.default(0.8) }),
  cfg_zero_star: z.object({ scale: scale.optional(), zero_init_steps: z.number().int().min(0).max(10).default(CFG_ZERO_STAR_ZERO_INIT_STEPS) }),
} as const;

export type PolicyName = keyof typeof PolicyParams;
export const POLICY_NAMES = Object.keys(PolicyParams) as PolicyName[];
export const PolicyNameSchema = z.enum(POLICY_NAMES as [PolicyName, ...PolicyName[]]);

export const GuidanceSchema = z.discriminatedUnion(
  "policy",
  POLICY_NAMES.map((name) => PolicyParams[name].extend({ policy: z.literal(name) })) as unknown as [
    z.ZodObject<{ policy: z.ZodLiteral<PolicyName> }>,
    ...z.ZodObject<{ policy: z.ZodLiteral<PolicyName> }>[],
  ],
);
export type Guidance = { policy: PolicyName } & Record<string, unknown>;

/** Steps on which `interval` evaluates the unconditional branch: start <= i/steps < end. */
export function intervalSteps(steps: number, start: number, end: number): number {
  let count = 0;
  for (let i = 0; i < steps; i++) if (i / steps >= start && i / steps < end) count++;
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

/** Worst-case NFEs for one image over `steps` steps, before any `max_nfe` cap. */
export function nfeBound(g: Guidance, steps: number): number {
  const w = typeof g.scale === "number" ? g.scale : undefined;
  switch (g.policy) {
    case "none":
      return steps;
    case "pag":
      return steps * ((w ?? 1) > 1 ? 3 : 2);
    case "interval":
      return steps + intervalSteps(steps, (g.start as number) ?? 0.2, (g.end as number) ?? 0.8);
    case "linear_ag": {
      let n = 0;
      for (let i = 0; i < steps; i++) n += linearAgUncondStep(i, steps) ? 2 : 1;
      return n;
    }
    case "cfg_zero_star": {
      const zero = Math.min(steps, (g.zero_init_steps as number) ?? CFG_ZERO_STAR_ZERO_INIT_STEPS);
      return (steps - zero) * 2;
    }
    default: // cfg, ag (worst case: never truncates), apg, cfgpp
      return steps * 2;
  }
}

/** NFEs per step for one image in the worst case (for `GET /v1/policies`). */
export function nfePerStepBound(g: Guidance): number {
  return nfeBound(g, 100) / 100;
}
