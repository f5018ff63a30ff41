// @guidegate/gpu-worker's public entry, for the benches, scripts, the eval package and tests:
// the runtime thread and the models it serves, the generation contract (parameters, events,
// results, recordings), a model folder's calibrated guidance defaults, image encoding and
// the worker's configuration. The worker process itself starts from main.ts.
export { loadWorkerConfig, type WorkerConfig } from "./config.ts";
export type { LinearAgCoefficients, ModelGuidanceDefaults } from "./guidance/types.ts";
export { readFrontier } from "./models/frontier.ts";
export { readGuidanceDefaults } from "./models/graph-spec.ts";
export type { RuntimeOptions } from "./onnx/tensors.ts";
export type { GenerateEvent, GenerateParams, GenerateResult } from "./pipeline/generate.ts";
export type { RecordOptions, Recording, StepAgreement } from "./pipeline/record.ts";
export type { Truncation } from "./pipeline/truncate.ts";
export type { UnetTimingRequest } from "./pipeline/unet-timing.ts";
export { DRAIN_MARGIN_MS } from "./jobs/drain.ts";
export type {
  ModelSummary,
  PipelineParams,
  Progress,
  RuntimeMetric,
  RuntimeStats,
  ServeOptions,
} from "./runtime/protocol.ts";
export { OnnxRuntime, ServedModel } from "./runtime/runtime.ts";
export { CONTENT_TYPE, encodeImage } from "./storage/encode.ts";
