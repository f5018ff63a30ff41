// Quality of a sampling recipe on the shapes model's held-out prompts, measured with the
// attribute checker: all-attributes adherence, NFE per image, palette distance (artifacts /
// oversaturation) and diversity across seeds. Real ONNX inference on the production path: the
// worker's runtime thread runs each generation's whole loop, with its batcher.
import { resolve } from "node:path";
import { type ModelGuidanceDefaults, OnnxRuntime, readGuidanceDefaults, type ServedModel } from "@guidegate/gpu-worker";
import type { GuidanceInput, SchedulerName } from "@guidegate/shared";
import { type EvalItem, readEvalSet } from "./eval-set.ts";
import { checkPrompt, paletteDistance, shapeGeometry } from "./shapes/checker.ts";
import type { ShapesVocabulary } from "./shapes/vocabulary.ts";

export interface Recipe {
  label: string;
  guidance: GuidanceInput;
  steps: number;
  scheduler?: SchedulerName;
  max_nfe?: number;
}

export interface Score {
  label: string;
  images: number;
  adherence: number; // fraction with all attributes right
  perAttribute: { background: number; color: number; shape: number; size: number };
  unseenAdherence: number; // on attribute triples never seen in training
  nfePerImage: number;
  paletteDistance: number; // mean RGB distance of pixels from the nearest palette colour
}

export interface Bench {
  rt: OnnxRuntime;
  /** Served by the runtime thread, with its own batcher. */
  model: ServedModel;
  dir: string;
  /** The guidance defaults the model generates with (calibration.json unless replaced). */
  defaults: ModelGuidanceDefaults;
  vocabulary: ShapesVocabulary;
  /** The model's held-out evaluation set. */
  items: EvalItem[];
  close(): Promise<void>;
}

export interface BenchOptions {
  /** Guidance defaults to generate with instead of the folder's calibration.json. */
  defaults?: ModelGuidanceDefaults;
}

export async function openBench(
  modelDir = resolve(import.meta.dirname, "../../models/shapes-32"),
  maxBatch = 32,
  opts: BenchOptions = {},
): Promise<Bench> {
  const { vocabulary, items } = readEvalSet(modelDir);
  const defaults = opts.defaults ?? readGuidanceDefaults(modelDir);
  const rt = await OnnxRuntime.start({ provider: "cpu", deviceId: 0, intraOpThreads: 0 });
  const model = await rt.serve(modelDir, {
    maxBatch,
    windowMs: 1,
    ...(opts.defaults ? { defaults: opts.defaults } : {}),
  });
  return { rt, model, dir: modelDir, defaults, vocabulary, items, close: () => rt.close() };
}

/** Runs `fn` over items with `concurrency` generations in flight (their NFEs share batches). */
export async function mapConcurrent<T, R>(
  items: T[],
  concurrency: number,
  fn: (item: T, i: number) => Promise<R>,
): Promise<R[]> {
  const out = new Array<R>(items.length);
  let next = 0;
  await Promise.all(
    Array.from({ length: Math.min(concurrency, items.length) }, async () => {
      while (next < items.length) {
        const i = next++;
        out[i] = await fn(items[i]!, i);
      }
    }),
  );
  return out;
}

export async function render(
  b: Bench,
  recipe: Recipe,
  prompt: string,
  seed: number,
): Promise<{ rgb: Uint8Array; nfe: number }> {
  const res = await b.model.generate(
    {
      prompt,
      n: 1,
      steps: recipe.steps,
      scheduler: recipe.scheduler,
      seed,
      guidance: recipe.guidance,
      max_nfe: recipe.max_nfe,
    },
    () => {},
  );
  return { rgb: res.images[0]!, nfe: res.nfe };
}

export async function score(b: Bench, recipe: Recipe, items = b.items, concurrency = 16): Promise<Score> {
  const results = await mapConcurrent(items, concurrency, async (item) => {
    const { rgb, nfe } = await render(b, recipe, item.prompt, item.seed);
    const check = checkPrompt(
      rgb,
      { background: item.background, color: item.color, shape: item.shape, size: item.size },
      b.vocabulary,
    );
    return { check, nfe, dist: paletteDistance(rgb, b.vocabulary.palette), unseen: !item.seen_in_training };
  });
  const mean = (f: (r: (typeof results)[number]) => number, rs = results) =>
    rs.reduce((s, r) => s + f(r), 0) / Math.max(1, rs.length);
  const unseen = results.filter((r) => r.unseen);
  return {
    label: recipe.label,
    images: results.length,
    adherence: mean((r) => +r.check.all),
    perAttribute: {
      background: mean((r) => +r.check.background),
      color: mean((r) => +r.check.color),
      shape: mean((r) => +r.check.shape),
      size: mean((r) => +r.check.size),
    },
    unseenAdherence: mean((r) => +r.check.all, unseen),
    nfePerImage: mean((r) => r.nfe),
    paletteDistance: mean((r) => r.dist),
  };
}

/** Spread of the shape's position and area over seeds for one prompt (higher = more diverse). */
export async function diversity(
  b: Bench,
  recipe: Recipe,
  prompt: string,
  seeds: number[],
): Promise<{ positionStd: number; areaStd: number }> {
  const geos = (
    await mapConcurrent(seeds, 16, async (seed) =>
      shapeGeometry((await render(b, recipe, prompt, seed)).rgb, b.vocabulary),
    )
  ).filter((g): g is NonNullable<typeof g> => g !== null);
  const std = (xs: number[]) => {
    const m = xs.reduce((s, x) => s + x, 0) / Math.max(1, xs.length);
    return Math.sqrt(xs.reduce((s, x) => s + (x - m) ** 2, 0) / Math.max(1, xs.length));
  };
  return {
    positionStd: Math.hypot(std(geos.map((g) => g.cx)), std(geos.map((g) => g.cy))),
    areaStd: std(geos.map((g) => g.area)),
  };
}

export const pct = (x: number) => `${(100 * x).toFixed(1)}%`;
