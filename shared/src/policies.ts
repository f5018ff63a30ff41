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

// One strict object per policy, each default written here once: the edge reserves and the worker
// runs from the same parsed value, and an unknown parameter ("scal") is refused, never ignored.
// Defaults that depend on the model (CFG scale, AG threshold, APG norm clamp, CFG++ λ) stay
// optional here and are resolved by the worker, one function each (gpu-worker guidance/params.ts).
const policy = <N extends string, S extends z.ZodRawShape>(name: N, shape: S) =>
  z.strictObject({ policy: z.literal(name), ...shape });

export const NoneGuidance = policy("none", {});
export const CfgGuidance = policy("cfg", { scale: scale.optional(), rescale: unit.default(0) });
export const AgGuidance = policy("ag", {
  scale: scale.optional(),
  threshold: z.number().finite().min(-1).max(1).optional(),
  after_latch: z.enum(AG_AFTER_LATCH).optional(),
});
export const LinearAgGuidance = policy("linear_ag", { scale: scale.optional() });
export const ApgGuidance = policy("apg", {
  scale: scale.optional(),
  eta: unit.default(0),
  norm_threshold: z.number().finite().min(0).max(1000).optional(),
  momentum: z.number().finite().min(-0.99).max(0).default(-0.5),
});
export const CfgppGuidance = policy("cfgpp", { scale: unit.optional() });
/** PAG's `scale` is its CFG scale: 1 (the default) means no CFG branch, so 2 NFEs a step. */
export const PagGuidance = policy("pag", {
  scale: scale.default(1),
  pag_scale: z.number().finite().min(0).max(10).default(3),
});
export const IntervalGuidance = policy("interval", {
  scale: scale.optional(),
  start: unit.default(0.2),
  end: unit.default(0.8),
});
export const CfgZeroStarGuidance = policy("cfg_zero_star", {
  scale: scale.optional(),
  zero_init_steps: z.number().int().min(0).max(10).default(CFG_ZERO_STAR_ZERO_INIT_STEPS),
});

export const GuidanceSchema = z.discriminatedUnion("policy", [
  NoneGuidance,
  CfgGuidance,
  AgGuidance,
  LinearAgGuidance,
  ApgGuidance,
  CfgppGuidance,
  PagGuidance,
  IntervalGuidance,
  CfgZeroStarGuidance,
]);
/** Parsed guidance: every schema default filled in. */
export type Guidance = z.output<typeof GuidanceSchema>;
/** Guidance as a client may write it (defaults optional). */
export type GuidanceInput = z.input<typeof GuidanceSchema>;
export type PolicyName = Guidance["policy"];
export type GuidanceOf<N extends PolicyName> = Extract<Guidance, { policy: N }>;

export const POLICY_NAMES: readonly PolicyName[] = GuidanceSchema.options.map((o) => o.shape.policy.value);
export const PolicyNameSchema = z.enum(POLICY_NAMES as [PolicyName, ...PolicyName[]]);

/** A policy with every default filled in, from what a client (or a tier's table) wrote. */
export function parseGuidance(input: GuidanceInput): Guidance {
  return GuidanceSchema.parse(input);
}

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
export function nfeBound(input: GuidanceInput, steps: number): number {
  const g = parseGuidance(input);
  switch (g.policy) {
    case "none":
      return steps;
    case "pag":
      return steps * (g.scale > 1 ? 3 : 2);
    case "interval":
      return steps + intervalSteps(steps, g.start, g.end);
    case "linear_ag": {
      let n = 0;
      for (let i = 0; i < steps; i++) n += linearAgUncondStep(i, steps) ? 2 : 1;
      return n;
    }
    case "cfg_zero_star":
      return (steps - Math.min(steps, g.zero_init_steps)) * 2;
    case "cfg":
    case "ag": // worst case: never latches
    case "apg":
    case "cfgpp":
      return steps * 2;
  }
}

/** NFEs per step for one image in the worst case (for `GET /v1/policies`). */
export function nfePerStepBound(g: GuidanceInput): number {
  return nfeBound(g, 100) / 100;
}
