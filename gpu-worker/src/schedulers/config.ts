// Reads a diffusers `scheduler_config.json` into a SchedulerConfig, filling what is absent
// with diffusers' constructor defaults and rejecting what we cannot reproduce.
import type { SchedulerName } from "@guidegate/shared";
import type { BetaSchedule, PredictionType, SchedulerConfig, TimestepSpacing } from "./types.ts";

const BETA_SCHEDULES: readonly BetaSchedule[] = ["linear", "scaled_linear", "squaredcos_cap_v2"];
const PREDICTION_TYPES: readonly PredictionType[] = ["epsilon", "v_prediction", "sample"];
const SPACINGS: readonly TimestepSpacing[] = ["leading", "trailing", "linspace"];

/** Each class's `timestep_spacing` when the config lacks it (diffusers constructor defaults). */
export const DEFAULT_SPACING: Record<SchedulerName, TimestepSpacing> = {
  ddim: "leading",
  euler: "linspace",
  euler_a: "linspace",
  dpmpp_2m: "linspace",
};

/** The scheduler a config was written for, from its `_class_name`, if we know the class. */
function classOf(json: Record<string, unknown>): SchedulerName | undefined {
  const names: Record<string, SchedulerName> = {
    DDIMScheduler: "ddim",
    EulerDiscreteScheduler: "euler",
    EulerAncestralDiscreteScheduler: "euler_a",
    DPMSolverMultistepScheduler: "dpmpp_2m",
  };
  return typeof json._class_name === "string" ? names[json._class_name] : undefined;
}

function pick<T>(json: Record<string, unknown>, key: string, fallback: T, valid: (v: unknown) => v is T): T {
  const value = json[key];
  if (value === undefined || value === null) return fallback;
  if (!valid(value)) throw new Error(`scheduler_config: invalid ${key}: ${JSON.stringify(value)}`);
  return value;
}

const isNumber = (v: unknown): v is number => typeof v === "number" && Number.isFinite(v);
const isBoolean = (v: unknown): v is boolean => typeof v === "boolean";
const oneOf =
  <T extends string>(values: readonly T[]) =>
  (v: unknown): v is T =>
    typeof v === "string" && (values as readonly string[]).includes(v);

/**
 * Parse `scheduler_config.json` (object or JSON text). `scheduler` is the class we will run:
 * `clip_sample` defaults to true only for DDIM (diffusers' DDIMScheduler default; the other
 * classes have no clipping), falling back to the config's own `_class_name`.
 */
export function parseSchedulerConfig(json: unknown, scheduler?: SchedulerName): SchedulerConfig {
  const raw = typeof json === "string" ? (JSON.parse(json) as unknown) : json;
  if (typeof raw !== "object" || raw === null || Array.isArray(raw)) {
    throw new Error("scheduler_config: expected a JSON object");
  }
  const cfg = raw as Record<string, unknown>;
  if (cfg.trained_betas !== undefined && cfg.trained_betas !== null) {
    throw new Error("scheduler_config: trained_betas is not supported");
  }
  if (cfg.rescale_betas_zero_snr === true) {
    throw new Error("scheduler_config: rescale_betas_zero_snr is not supported");
  }
  const clipDefault = (scheduler ?? classOf(cfg)) === "ddim";
  const config: SchedulerConfig = {
    num_train_timesteps: pick(cfg, "num_train_timesteps", 1000, isNumber),
    beta_start: pick(cfg, "beta_start", 0.0001, isNumber),
    beta_end: pick(cfg, "beta_end", 0.02, isNumber),
    beta_schedule: pick(cfg, "beta_schedule", "linear", oneOf(BETA_SCHEDULES)),
    prediction_type: pick(cfg, "prediction_type", "epsilon", oneOf(PREDICTION_TYPES)),
    steps_offset: pick(cfg, "steps_offset", 0, isNumber),
    clip_sample: pick(cfg, "clip_sample", clipDefault, isBoolean),
    clip_sample_range: pick(cfg, "clip_sample_range", 1, isNumber),
    set_alpha_to_one: pick(cfg, "set_alpha_to_one", true, isBoolean),
  };
  const spacing = pick<TimestepSpacing | undefined>(cfg, "timestep_spacing", undefined, oneOf(SPACINGS));
  if (spacing !== undefined) config.timestep_spacing = spacing;
  const eta = pick<number | undefined>(cfg, "eta", undefined, isNumber);
  if (eta !== undefined) config.eta = eta;
  if (!Number.isInteger(config.num_train_timesteps) || config.num_train_timesteps < 2) {
    throw new Error("scheduler_config: num_train_timesteps must be an integer >= 2");
  }
  return config;
}

/** The spacing a scheduler class uses for this config. */
export function spacingOf(config: SchedulerConfig, scheduler: SchedulerName): TimestepSpacing {
  return config.timestep_spacing ?? DEFAULT_SPACING[scheduler];
}
