// One interface for every guidance policy, after diffusers' guiders: each step a policy
// says which branches it needs for one image, then combines what was evaluated.
import type { GuidanceOf, PolicyName } from "@guidegate/shared";
import type { ModelGuidanceDefaults } from "./defaults.ts";
import type { Prediction } from "../schedulers/types.ts";

/** cond = the prompt; uncond = the negative or empty prompt; perturbed = cond with PAG's identity self-attention. */
export type Branch = "cond" | "uncond" | "perturbed";

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
  readonly name: PolicyName;
  /** Branches to evaluate for this image at this step; always includes "cond". */
  branches(ctx: StepContext): Branch[];
  /** Combine the evaluated outputs; may be called with fewer branches than asked (NFE cap). */
  combine(ctx: StepContext, out: BranchOutputs): Prediction;
}

/** Per-model calibrated values stored beside the model (calibration.json): see defaults.ts. */
export type { LinearAgCoefficients, ModelGuidanceDefaults } from "./defaults.ts";

/** Builds policy N from its parsed parameters (every wire default filled in by shared's schema). */
export type PolicyFactory<N extends PolicyName> = (
  params: GuidanceOf<N>,
  defaults: ModelGuidanceDefaults,
  steps: number,
  scheduler: string,
) => GuidancePolicy;
