// Messages between the main thread and the runtime thread that owns the ONNX sessions and runs
// every generation's denoising loop; only data crosses (parameters, events, results).
import type { ModelGuidanceDefaults } from "../guidance/types.ts";
import type { RuntimeOptions } from "../onnx/tensors.ts";
import type { GenerateEvent, GenerateParams, GenerateResult } from "../pipeline/generate.ts";
import type { UnetTimingRequest } from "../pipeline/unet-timing.ts";

/** A model loaded inside the runtime thread, as the main thread sees it. */
export interface ModelSummary {
  name: string;
  width: number;
  height: number;
  supportsPag: boolean;
  space: "pixel" | "latent";
  /** Takes image input (edits): a pixel model, or a latent one with a vae_encoder. */
  editable: boolean;
}

/** Generation parameters, all data: they cross to the thread as they are. */
export type PipelineParams = GenerateParams;

export interface ServeOptions {
  maxBatch: number;
  windowMs: number;
  /** Guidance defaults to use instead of the folder's calibration.json (calibrate measures without them). */
  defaults?: ModelGuidanceDefaults;
}

/** Where a generation in the thread stood: steps finished and NFEs evaluated. */
export interface Progress {
  step: number;
  nfe: number;
}

export interface RuntimeStats {
  ortMs: number;
  runs: number;
}

export type Request =
  | { id: number; op: "init"; options: RuntimeOptions }
  | ({ id: number; op: "openModel"; dir: string } & ServeOptions)
  | { id: number; op: "generate"; model: string; params: PipelineParams }
  | ({ id: number; op: "unetTimes"; model: string } & UnetTimingRequest)
  | { id: number; op: "cancel"; target: number }
  | { id: number; op: "stats" }
  | { id: number; op: "close" };

export type Response =
  | {
      id: number;
      ok: true;
      model?: ModelSummary;
      result?: GenerateResult;
      stats?: RuntimeStats;
      times?: number[];
      at?: Progress;
    }
  | { id: number; ok: false; error: string };

/** A timing the thread measured, for the main thread's metrics (metrics.ts registers them there). */
export type RuntimeMetric = { kind: "unet"; rows: number; ortMs: number } | { kind: "step"; ms: number };

/** Sent by the thread on its own, answering no request (id 0 is never a request's). */
export interface MetricMessage {
  id: 0;
  metric: RuntimeMetric;
}

/** Sent while a `generate` request runs, before its response. */
export interface EventMessage {
  id: number;
  event: GenerateEvent;
}
