// UNet feed packing: rows of a batch (each image and branch at its own timestep) into the graph's
// inputs in its dtypes (float16 graphs, int/float timesteps, one scalar timestep per batch on the
// newest Optimum exports, SDXL's text_embeds and time_ids, the PAG flag), and its output back into rows.
import { f32ToF16 } from "../onnx/fp16.ts";
import { floatTensor, type TensorData, toFloat32 } from "../onnx/tensors.ts";
import type { AddedSpec, UnetSpec } from "./graph-spec.ts";

/** One row of a UNet batch: one image, one branch, at its own timestep. */
export interface UnetRow {
  sample: Float32Array;
  timestep: number;
  context: Float32Array;
  /** The branch's pooled prompt embedding (SDXL's text_embeds); required by models that take one. */
  pooled?: Float32Array | null;
  perturb: boolean;
  /** An inpainting UNet's extra channels after the sample (mask, masked-source latent). */
  condition?: Float32Array;
}

/** The shapes a batch is packed to. */
export interface UnetShapes {
  sampleShape: [number, number, number];
  contextShape: [number, number];
  /** SDXL's time_ids, the same for every row. */
  timeIds: Float32Array;
  /** Channels each row's condition adds to the sample input (an inpainting UNet's 5; else 0). */
  conditionChannels?: number;
}

/** SDXL's time_ids [orig_h, orig_w, crop_top, crop_left, target_h, target_w]: generated at its own size, uncropped. */
export const sdxlTimeIds = (height: number, width: number): Float32Array =>
  Float32Array.of(height, width, 0, 0, height, width);

/** The feeds of one UNet run over rows (rows of a scalar-timestep model must share their timestep). */
export function unetFeeds(u: UnetSpec, shapes: UnetShapes, rows: UnetRow[]): Record<string, TensorData> {
  const B = rows.length;
  const [c, h, w] = shapes.sampleShape;
  const extra = shapes.conditionChannels ?? 0;
  const n = (c + extra) * h * w;
  const ctxSize = shapes.contextShape[0] * shapes.contextShape[1];
  const sample = new Float32Array(B * n);
  const context = new Float32Array(B * ctxSize);
  rows.forEach((r, i) => {
    sample.set(r.sample, i * n);
    if (extra > 0) {
      if (r.condition?.length !== extra * h * w) throw new Error(`this unet takes ${extra} condition channels per row`);
      sample.set(r.condition, i * n + c * h * w);
    }
    context.set(r.context, i * ctxSize);
  });
  if (u.timestepScalar && rows.some((r) => r.timestep !== rows[0]!.timestep)) {
    throw new Error("this UNet takes one timestep per batch");
  }
  const ts = u.timestepScalar ? [rows[0]!.timestep] : rows.map((r) => r.timestep);
  const feeds: Record<string, TensorData> = {
    [u.sample]: floatTensor(u.half, sample, [B, c + extra, h, w]),
    [u.timestep]: timestepTensor(u.timestepType, ts, u.timestepScalar ? [] : [B]),
    [u.context]: floatTensor(u.half, context, [B, ...shapes.contextShape]),
  };
  if (u.added) Object.assign(feeds, addedFeeds(u.added, shapes.timeIds, rows));
  if (u.perturb)
    feeds[u.perturb] = { type: "float32", data: Float32Array.from(rows, (r) => (r.perturb ? 1 : 0)), dims: [B] };
  else if (rows.some((r) => r.perturb)) throw new Error("this model has no perturbed-attention input");
  return feeds;
}

/** The UNet's output split into one float32 sample of `size` values per row. */
export function unetOutputs(
  u: UnetSpec,
  outputs: Record<string, TensorData>,
  rows: number,
  size: number,
): Float32Array[] {
  const out = toFloat32(outputs[u.output]!);
  return Array.from({ length: rows }, (_, i) => out.slice(i * size, (i + 1) * size));
}

/** SDXL's text_embeds (each row's own pooled embedding) and time_ids (the same for every row). */
function addedFeeds(a: AddedSpec, ids: Float32Array, rows: UnetRow[]): Record<string, TensorData> {
  const B = rows.length;
  const textEmbeds = new Float32Array(B * a.pooledSize);
  const timeIds = new Float32Array(B * 6);
  rows.forEach((r, i) => {
    if (r.pooled?.length !== a.pooledSize)
      throw new Error(`unet input ${a.textEmbeds} needs ${a.pooledSize} pooled values per row`);
    textEmbeds.set(r.pooled, i * a.pooledSize);
    timeIds.set(ids, i * 6);
  });
  return {
    [a.textEmbeds]: floatTensor(a.textEmbedsHalf, textEmbeds, [B, a.pooledSize]),
    [a.timeIds]: floatTensor(a.timeIdsHalf, timeIds, [B, 6]),
  };
}

function timestepTensor(type: TensorData["type"], ts: number[], dims: number[]): TensorData {
  if (type === "int64") return { type, data: BigInt64Array.from(ts, (t) => BigInt(Math.round(t))), dims };
  if (type === "int32") return { type, data: Int32Array.from(ts, Math.round), dims };
  if (type === "float16") return { type, data: f32ToF16(Float32Array.from(ts)), dims };
  return { type: "float32", data: Float32Array.from(ts), dims };
}
