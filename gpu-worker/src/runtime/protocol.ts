// Messages between the main thread and the runtime thread that owns the ONNX sessions.
import type { RuntimeOptions, SessionInfo, TensorData } from "../onnx/tensors.ts";
import type { GenerateEvent, GenerateParams, GenerateResult } from "../pipeline/generate.ts";

/** A model loaded inside the runtime thread, as the main thread sees it. */
export interface ModelSummary {
  name: string;
  width: number;
  height: number;
  supportsPag: boolean;
  space: "pixel" | "latent";
}

/** Generation parameters that can cross threads (no policy hooks). */
export type PipelineParams = Omit<GenerateParams, "wrapPolicy">;

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
  | { id: number; op: "load"; key: string; path: string }
  | { id: number; op: "run"; key: string; feeds: Record<string, TensorData> }
  | { id: number; op: "openModel"; dir: string; maxBatch: number; windowMs: number }
  | { id: number; op: "generate"; model: string; params: PipelineParams }
  | { id: number; op: "cancel"; target: number }
  | { id: number; op: "stats" }
  | { id: number; op: "close" };

export type Response =
  | {
      id: number;
      ok: true;
      info?: SessionInfo;
      outputs?: Record<string, TensorData>;
      ms?: number;
      model?: ModelSummary;
      result?: GenerateResult;
      stats?: RuntimeStats;
      at?: Progress;
    }
  | { id: number; ok: false; error: string };

/** Sent while a `generate` request runs, before its response. */
export interface EventMessage {
  id: number;
  event: GenerateEvent;
}
