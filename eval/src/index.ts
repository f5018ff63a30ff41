// @guidegate/eval: how well a model follows its prompts, for the benches and calibration. The shapes
// attribute checker (reads background, colour, shape and size back from an image), the model's
// held-out evaluation set, calibration prompts disjoint from it, and the evaluation loop that scores
// a sampling recipe on the worker's production path.
export { calibrationPrompts } from "./calibration-prompts.ts";
export { type CheckedPrompt, checkedPrompts, EVALUATORS, evaluatorOf } from "./evaluator.ts";
export { type EvalItem, EvalItemSchema, EvalManifestSchema, type EvalSet, readEvalSet } from "./eval-set.ts";
export {
  type Bench,
  type BenchOptions,
  diversity,
  mapConcurrent,
  openBench,
  pct,
  type Recipe,
  render,
  type Score,
  score,
} from "./evaluate.ts";
export {
  type AttributeReading,
  checkPrompt,
  paletteDistance,
  parsePrompt,
  type PromptCheck,
  promptOf,
  readAttributes,
  type RgbImage,
  type ShapeGeometry,
  shapeGeometry,
} from "./shapes/checker.ts";
export { renderScene } from "./shapes/render.ts";
export { sampleScene, seededRandom, type UniformRandom } from "./shapes/scene-sampler.ts";
export {
  DEFAULT_SHAPES_VOCABULARY,
  type Rgb,
  type ShapeAttributes,
  type ShapeScene,
  type ShapesVocabulary,
  vocabularyFromManifest,
} from "./shapes/vocabulary.ts";
