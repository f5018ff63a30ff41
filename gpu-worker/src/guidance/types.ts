// One interface for every guidance policy, after diffusers' guiders: each step a policy
// says which branches it needs for one image, then combines what was evaluated. A policy is
// a rule (how branches combine) under a schedule (which steps evaluate the extra branches).
import type { ExtraBranch, GuidanceName, RuleName, RuleOf, ScheduleName, ScheduleOf } from "@guidegate/shared";
import type { ModelGuidanceDefaults } from "./defaults.ts";
import type { Prediction } from "../schedulers/types.ts";

/** cond = the prompt; uncond = the negative or empty prompt; perturbed = cond with PAG's identity self-attention. */
export type Branch = "cond" | ExtraBranch;
export type { ExtraBranch } from "@guidegate/shared";

export interface StepContext {
  step: number; // 0-based
  steps: number;
  timestep: number;
  alpha: number; // VP coefficients of x: x = alpha*x0 + sigma*eps
  sigma: number;
  x: Float32Array; // the model input of this image at this step
  sampler: string; // scheduler name, for rules with sampler-specific forms (CFG++)
  /** The x0 range the scheduler clamps to, if it clamps (pixel models near alphā = 0 give huge raw x0). */
  clip?: number;
  /** Channels of x (CHW); statistics that work per channel treat x as one channel when absent. */
  channels?: number;
}

/** Model outputs of the evaluated branches, already converted to epsilon. */
export type BranchOutputs = Partial<Record<Branch, Float32Array>>;

export interface GuidancePolicy {
  readonly name: GuidanceName;
  /** Branches to evaluate for this image at this step; always includes "cond". */
  branches(ctx: StepContext): Branch[];
  /** Combine the evaluated outputs; may be called with fewer branches than asked (NFE cap). */
  combine(ctx: StepContext, out: BranchOutputs): Prediction;
}

/** The extra branches a rule combines at one step: real, stood in for, or missing (undefined). */
export type ExtraOutputs = Partial<Record<ExtraBranch, Float32Array>>;

/** How one step's branches combine. Stateful rules (APG's momentum) keep one trajectory. */
export interface GuidanceRule {
  /** shared's RULE_EXTRAS for this rule: the branches besides cond, in the order a cap grants them. */
  readonly extras: readonly ExtraBranch[];
  /** Steps answered without any model call (CFG-Zero*'s zero-init), and their prediction. */
  readonly idle?: { at(step: number): boolean; predict(ctx: StepContext): Prediction };
  /** With every extra missing, must be the conditional prediction: that is what "cond alone" means. */
  combine(ctx: StepContext, cond: Float32Array, extras: ExtraOutputs): Prediction;
  /** A new trajectory (step 0). */
  reset?(): void;
}

/** What a schedule sees of a combined step. */
export interface CombinedStep {
  /** Absent on a rule's idle step, which evaluates nothing. */
  cond?: Float32Array;
  prediction: Prediction;
  /** Every extra branch of the rule was really evaluated at this step (not stood in for). */
  evaluated: boolean;
}

/** Which steps evaluate a rule's extra branches, and what stands in on the others. */
export interface GuidanceSchedule {
  /** Whether to evaluate the extras at this step. Reads state only: withNfeCap asks about future steps. */
  evaluates(ctx: StepContext): boolean;
  /** The branch to combine: `actual` when given and wanted, else a stand-in, else undefined (the rule drops it). */
  resolve(
    ctx: StepContext,
    branch: ExtraBranch,
    cond: Float32Array,
    actual: Float32Array | undefined,
  ): Float32Array | undefined;
  /** Called after every step's combine, in step order (AG's latch reads the combined x0). */
  observe?(ctx: StepContext, step: CombinedStep): void;
  /** A new trajectory (step 0). */
  reset(): void;
}

/** Per-model calibrated values stored beside the model (calibration.json): see defaults.ts. */
export type { LinearAgCoefficients, ModelGuidanceDefaults } from "./defaults.ts";

/** Builds rule N from its parsed parameters (every wire default filled in by shared's schema). */
export type RuleFactory<N extends RuleName> = (params: RuleOf<N>, defaults: ModelGuidanceDefaults) => GuidanceRule;

/** Builds schedule N for one trajectory of `steps` steps under `scheduler`. */
export type ScheduleFactory<N extends ScheduleName> = (
  params: ScheduleOf<N>,
  defaults: ModelGuidanceDefaults,
  steps: number,
  scheduler: string,
) => GuidanceSchedule;
