// Guidance rules as the wire sees them: how the evaluated branches of one step combine. Which
// steps evaluate the extra branches is the schedule's business (schedules.ts); a rule only says
// which extra branches it needs, so the edge can count them.
import { z } from "zod";

/** A CFG-style guidance scale w (Imagen form: 1 = no guidance). */
export const GuidanceScaleSchema = z.number().finite().min(0).max(30);
export const UnitSchema = z.number().finite().min(0).max(1);
const scale = GuidanceScaleSchema;
const unit = UnitSchema;

/**
 * CFG-Zero*'s zero-init is off unless asked for: it is the paper's device for flow-matching velocities,
 * and on our VP (ε/v) models it cost 29 points (docs/guidance.md: 60.5% with one zero step, 89.1% without).
 */
export const CFG_ZERO_STAR_ZERO_INIT_STEPS = 0;

// Parameter shapes shared by a rule and the presets built on it, so each default is written once.
// Defaults that depend on the model (CFG scale, APG norm clamp, CFG++ λ) stay optional here and
// are resolved by the worker, one function each (gpu-worker guidance/params.ts).
export const CFG_PARAMS = { scale: scale.optional(), rescale: unit.default(0) };
export const APG_PARAMS = {
  scale: scale.optional(),
  eta: unit.default(0),
  norm_threshold: z.number().finite().min(0).max(1000).optional(),
  momentum: z.number().finite().min(-0.99).max(0).default(-0.5),
};
export const CFGPP_PARAMS = { scale: unit.optional() };
export const CFG_ZERO_STAR_PARAMS = {
  scale: scale.optional(),
  zero_init_steps: z.number().int().min(0).max(10).default(CFG_ZERO_STAR_ZERO_INIT_STEPS),
};
export const PAG_SCALE = z.number().finite().min(0).max(10).default(3);

const rule = <N extends string, S extends z.ZodRawShape>(name: N, shape: S) =>
  z.strictObject({ name: z.literal(name), ...shape });

export const NoneRule = rule("none", {});
export const CfgRule = rule("cfg", CFG_PARAMS);
export const ApgRule = rule("apg", APG_PARAMS);
export const CfgppRule = rule("cfgpp", CFGPP_PARAMS);
export const CfgZeroStarRule = rule("cfg_zero_star", CFG_ZERO_STAR_PARAMS);
/** PAG alone (arXiv 2403.17377): c + s·(c − c_ptb). */
export const PagRule = rule("pag", { pag_scale: PAG_SCALE });
/** PAG on top of CFG: u + w·(c − u) + s·(c − c_ptb); w defaults to the model's CFG scale. */
export const PagCfgRule = rule("pag_cfg", { scale: scale.optional(), pag_scale: PAG_SCALE });

export const RuleSchema = z.discriminatedUnion("name", [
  NoneRule,
  CfgRule,
  ApgRule,
  CfgppRule,
  CfgZeroStarRule,
  PagRule,
  PagCfgRule,
]);
/** A parsed rule: every schema default filled in. */
export type RuleParams = z.output<typeof RuleSchema>;
export type RuleName = RuleParams["name"];
export type RuleOf<N extends RuleName> = Extract<RuleParams, { name: N }>;
export const RULE_NAMES: readonly RuleName[] = RuleSchema.options.map((o) => o.shape.name.value);
export const RuleNameSchema = z.enum(RULE_NAMES as [RuleName, ...RuleName[]]);

/** The branches a rule evaluates besides "cond": uncond = negative/empty prompt, perturbed = PAG's. */
export type ExtraBranch = "uncond" | "perturbed";

/**
 * Extra branches per rule, in the order an NFE cap grants them: PAG's own term before CFG's, so
 * a cap that buys one extra branch keeps the term the rule is named after.
 */
export const RULE_EXTRAS: Record<RuleName, readonly ExtraBranch[]> = {
  none: [],
  cfg: ["uncond"],
  apg: ["uncond"],
  cfgpp: ["uncond"],
  cfg_zero_star: ["uncond"],
  pag: ["perturbed"],
  pag_cfg: ["perturbed", "uncond"],
};

/** Steps on which the rule evaluates nothing at all: CFG-Zero*'s zero-init steps i < K (diffusers). */
export function ruleIdleStep(r: RuleParams, i: number): boolean {
  return r.name === "cfg_zero_star" && i < r.zero_init_steps;
}
