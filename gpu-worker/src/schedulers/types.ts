// One interface for every sampler. The pipeline always hands a scheduler the guided
// prediction as a pair (x0, eps) in the VP parameterisation of the model input, so that
// one code path serves epsilon and v models and CFG++ can renoise with another eps.

export type BetaSchedule = "linear" | "scaled_linear" | "squaredcos_cap_v2";
export type PredictionType = "epsilon" | "v_prediction" | "sample";
export type TimestepSpacing = "leading" | "trailing" | "linspace";

/** diffusers `scheduler_config.json` field names; absent fields take diffusers' defaults. */
export interface SchedulerConfig {
  num_train_timesteps: number;
  beta_start: number;
  beta_end: number;
  beta_schedule: BetaSchedule;
  prediction_type: PredictionType;
  timestep_spacing?: TimestepSpacing; // default depends on the scheduler class, as in diffusers
  steps_offset: number;
  clip_sample: boolean;
  clip_sample_range: number;
  set_alpha_to_one: boolean;
  eta?: number; // DDIM eta (guidegate extension; 0 = deterministic)
}

/** The guided prediction of one image at one step, in the VP view of the model input. */
export interface Prediction {
  x0: Float32Array; // denoised estimate used to move toward the data
  eps: Float32Array; // noise estimate used to renoise (differs from x0's only under CFG++)
}

export interface StepPoint {
  timestep: number; // what the UNet's `timestep` input receives
  alpha: number; // sqrt(alphā) of the model input x_vp = alpha*x0 + sigma*eps
  sigma: number; // sqrt(1 - alphā)
}

/** A seeded source of standard normal noise (ancestral samplers, DDIM eta > 0). */
export type NoiseSource = (length: number) => Float32Array;

export interface Scheduler {
  readonly name: string;
  readonly steps: number;
  /** The i-th step's model timestep and VP coefficients (i = 0 is the noisiest). */
  point(i: number): StepPoint;
  /** Scale the starting standard normal noise into the scheduler's state space. */
  initNoise(noise: Float32Array): Float32Array;
  /** The state at step i of a clean x0 noised by standard normal eps (an edit's start, SDEdit). */
  noised(x0: Float32Array, eps: Float32Array, i: number): Float32Array;
  /** Model input x_vp from the scheduler's state x (identity for VP samplers). */
  modelInput(x: Float32Array, i: number): Float32Array;
  /** Advance the state from step i to i + 1 (returns a new array). */
  step(x: Float32Array, pred: Prediction, i: number, noise: NoiseSource): Float32Array;
}

export type SchedulerFactory = (config: SchedulerConfig, steps: number) => Scheduler;
