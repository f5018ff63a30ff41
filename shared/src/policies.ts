// Guidance as the wire sees it: a preset policy by name ({policy: "ag", ...}, the names clients
// have always sent) or a rule × schedule pair ({rule: {name, ...}, schedule: {name, ...}}), and the
// worst-case NFE bound per image that the edge reserves before dispatch without knowing any tensor.
// Every preset is one pair (pairOf); the worker runs pairs only.
import { z } from "zod";
import { runSteps } from "./edits.ts";
import {
  APG_PARAMS,
  CFG_PARAMS,
  CFG_ZERO_STAR_PARAMS,
  CFGPP_PARAMS,
  GuidanceScaleSchema,
  PAG_SCALE,
  RULE_EXTRAS,
  type RuleName,
  type RuleParams,
  RuleSchema,
  ruleIdleStep,
} from "./rules.ts";
import {
  AG_LATCH_PARAMS,
  INTERVAL_PARAMS,
  plannedExtraStep,
  type ScheduleName,
  type ScheduleParams,
  ScheduleSchema,
} from "./schedules.ts";

// One strict object per preset, its parameters those of its rule and schedule (each default
// written once, in rules.ts and schedules.ts): the edge reserves and the worker runs from the same
// parsed value, and an unknown parameter ("scal") is refused, never ignored.
const policy = <N extends string, S extends z.ZodRawShape>(name: N, shape: S) =>
  z.strictObject({ policy: z.literal(name), ...shape });
const scale = GuidanceScaleSchema;

export const NoneGuidance = policy("none", {});
export const CfgGuidance = policy("cfg", CFG_PARAMS);
export const AgGuidance = policy("ag", { scale: scale.optional(), ...AG_LATCH_PARAMS });
export const LinearAgGuidance = policy("linear_ag", { scale: scale.optional() });
export const ApgGuidance = policy("apg", APG_PARAMS);
export const CfgppGuidance = policy("cfgpp", CFGPP_PARAMS);
/** PAG's `scale` is its CFG scale: 1 (the default) means no CFG branch, so 2 NFEs a step. */
export const PagGuidance = policy("pag", { scale: scale.default(1), pag_scale: PAG_SCALE });
export const IntervalGuidance = policy("interval", { scale: scale.optional(), ...INTERVAL_PARAMS });
export const CfgZeroStarGuidance = policy("cfg_zero_star", CFG_ZERO_STAR_PARAMS);

const PRESETS = [
  NoneGuidance,
  CfgGuidance,
  AgGuidance,
  LinearAgGuidance,
  ApgGuidance,
  CfgppGuidance,
  PagGuidance,
  IntervalGuidance,
  CfgZeroStarGuidance,
] as const;
export const PresetGuidanceSchema = z.discriminatedUnion("policy", PRESETS);

/**
 * Any rule under any schedule. `policy` must be absent: it is only the union's discriminator, so a
 * body that mixes the two shapes is refused by name. The schedule defaults to every step.
 */
export const PairGuidanceSchema = z.strictObject({
  policy: z.undefined().optional().meta({ description: "absent: a pair names a rule and a schedule", not: {} }),
  rule: RuleSchema,
  schedule: ScheduleSchema.default({ name: "every" }),
});

export const GuidanceSchema = z.discriminatedUnion("policy", [...PRESETS, PairGuidanceSchema]);
/** Parsed guidance: every schema default filled in. */
export type Guidance = z.output<typeof GuidanceSchema>;
/** Guidance as a client may write it (defaults optional). */
export type GuidanceInput = z.input<typeof GuidanceSchema>;
export type PresetGuidance = z.output<typeof PresetGuidanceSchema>;
export type PairGuidance = z.output<typeof PairGuidanceSchema>;
export type PolicyName = PresetGuidance["policy"];
export type GuidanceOf<N extends PolicyName> = Extract<PresetGuidance, { policy: N }>;
/** How a policy is named in events and job records: the preset, or "rule/schedule". */
export type GuidanceName = PolicyName | `${RuleName}/${ScheduleName}`;

export const POLICY_NAMES: readonly PolicyName[] = PRESETS.map((o) => o.shape.policy.value);
export const PolicyNameSchema = z.enum(POLICY_NAMES as [PolicyName, ...PolicyName[]]);

/** A policy with every default filled in, from what a client (or a tier's table) wrote. */
export function parseGuidance(input: GuidanceInput): Guidance {
  return GuidanceSchema.parse(input);
}

export function guidanceName(g: Guidance): GuidanceName {
  return g.policy ?? `${g.rule.name}/${g.schedule.name}`;
}

/** The rule × schedule a guidance runs: a pair as is, a preset as the pair it stands for. */
export function asPair(g: Guidance): PairGuidance {
  return g.policy === undefined ? g : pairOf(g);
}

/**
 * Each preset as a pair. AG, LinearAG and the interval never rescaled (rescale 0), and PAG's CFG
 * branch exists only above scale 1, as before the split.
 */
export function pairOf(g: PresetGuidance): PairGuidance {
  const every = { name: "every" } as const;
  switch (g.policy) {
    case "none":
      return { rule: { name: "none" }, schedule: every };
    case "cfg":
      return { rule: { name: "cfg", scale: g.scale, rescale: g.rescale }, schedule: every };
    case "ag":
      return {
        rule: { name: "cfg", scale: g.scale, rescale: 0 },
        schedule: { name: "ag_latch", threshold: g.threshold, after_latch: g.after_latch },
      };
    case "linear_ag":
      return { rule: { name: "cfg", scale: g.scale, rescale: 0 }, schedule: { name: "linear_ag" } };
    case "apg":
      return {
        rule: { name: "apg", scale: g.scale, eta: g.eta, norm_threshold: g.norm_threshold, momentum: g.momentum },
        schedule: every,
      };
    case "cfgpp":
      return { rule: { name: "cfgpp", scale: g.scale }, schedule: every };
    case "pag":
      return {
        rule:
          g.scale > 1
            ? { name: "pag_cfg", scale: g.scale, pag_scale: g.pag_scale }
            : { name: "pag", pag_scale: g.pag_scale },
        schedule: every,
      };
    case "interval":
      return {
        rule: { name: "cfg", scale: g.scale, rescale: 0 },
        schedule: { name: "interval", start: g.start, end: g.end },
      };
    case "cfg_zero_star":
      return { rule: { name: "cfg_zero_star", scale: g.scale, zero_init_steps: g.zero_init_steps }, schedule: every };
  }
}

/** Worst-case NFEs for one image over `steps` steps of a rule × schedule, before any `max_nfe` cap. */
export function pairNfeBound(rule: RuleParams, schedule: ScheduleParams, steps: number): number {
  const extras = RULE_EXTRAS[rule.name].length;
  let n = 0;
  for (let i = 0; i < steps; i++) {
    if (ruleIdleStep(rule, i)) continue;
    // Steps the run decides (AG's latch, σ) count as evaluated: the worst case.
    n += 1 + (plannedExtraStep(schedule, i, steps) === false ? 0 : extras);
  }
  return n;
}

/**
 * Worst-case NFEs for one image over `steps` steps, before any `max_nfe` cap; an edit runs (and
 * reserves) only the last ceil(strength × steps) of them.
 */
export function nfeBound(input: GuidanceInput, steps: number, strength?: number): number {
  const { rule, schedule } = asPair(parseGuidance(input));
  return pairNfeBound(rule, schedule, runSteps(steps, strength));
}

/**
 * Fewest NFEs one image can finish `steps` steps with: one (the cond branch) per step its rule does not
 * leave idle. CFG-Zero*'s zero-init steps evaluate nothing, so they lower this floor as they lower nfeBound.
 */
export function nfeFloor(input: GuidanceInput, steps: number): number {
  const { rule } = asPair(parseGuidance(input));
  let n = 0;
  for (let i = 0; i < steps; i++) if (!ruleIdleStep(rule, i)) n++;
  return n;
}

/** NFEs per step for one image in the worst case (for `GET /v1/policies`). */
export function nfePerStepBound(g: GuidanceInput): number {
  return nfeBound(g, 100) / 100;
}

/** Whether the guidance needs PAG's perturbed-attention branch, which not every model has. */
export function needsPerturbed(input: GuidanceInput): boolean {
  const parsed = GuidanceSchema.safeParse(input);
  // Invalid guidance is refused where the policy is built, with the schema's message.
  return parsed.success && RULE_EXTRAS[asPair(parsed.data).rule.name].includes("perturbed");
}

/** The rules and the schedule each preset is made of (pairOf), for reading preset lists as parts. */
export const PRESET_PARTS: Record<PolicyName, { rules: readonly RuleName[]; schedule: ScheduleName }> = {
  none: { rules: ["none"], schedule: "every" },
  cfg: { rules: ["cfg"], schedule: "every" },
  ag: { rules: ["cfg"], schedule: "ag_latch" },
  linear_ag: { rules: ["cfg"], schedule: "linear_ag" },
  apg: { rules: ["apg"], schedule: "every" },
  cfgpp: { rules: ["cfgpp"], schedule: "every" },
  pag: { rules: ["pag", "pag_cfg"], schedule: "every" },
  interval: { rules: ["cfg"], schedule: "interval" },
  cfg_zero_star: { rules: ["cfg_zero_star"], schedule: "every" },
};

/**
 * The preset schedule each schedule without a preset of its own goes with, for tiers: the σ interval
 * is an interval, Step AG's first k steps an AG truncation without the statistic, and periodic reuse
 * LinearAG's fit-free case.
 */
const SCHEDULE_FAMILY: Record<ScheduleName, ScheduleName> = {
  every: "every",
  interval: "interval",
  sigma_interval: "interval",
  first_k: "ag_latch",
  ag_latch: "ag_latch",
  linear_ag: "linear_ag",
  reuse: "linear_ag",
};

/** The rules a list of presets (a tier's `allowed`, a model's `policies`) gives access to. */
export function rulesOf(presets: readonly PolicyName[]): RuleName[] {
  return [...new Set(presets.flatMap((p) => PRESET_PARTS[p].rules))];
}

/**
 * The schedules a list of presets gives access to: those of its presets that schedule an extra
 * branch (the `none` preset schedules nothing), and the schedules of the same family.
 */
export function schedulesOf(presets: readonly PolicyName[]): ScheduleName[] {
  const used = new Set(presets.filter((p) => p !== "none").map((p) => PRESET_PARTS[p].schedule));
  return (Object.keys(SCHEDULE_FAMILY) as ScheduleName[]).filter((s) => used.has(SCHEDULE_FAMILY[s]));
}
