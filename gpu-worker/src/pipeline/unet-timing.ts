// Raw UNet cost for the benches: ORT run() milliseconds of batches of synthetic rows (row i a
// constant 0.1·i sample at timestep 500, conditioned on one prompt), outside the batcher.
import type { DiffusionModel } from "../models/diffusion-model.ts";
import type { UnetRow } from "../models/unet-feeds.ts";

export interface UnetTimingRequest {
  batch: number;
  runs: number;
  prompt: string;
}

/** Milliseconds inside ORT of each of `runs` UNet runs at `batch` rows. */
export async function unetTimes(model: DiffusionModel, r: UnetTimingRequest): Promise<number[]> {
  const [emb] = await model.encodePrompts([r.prompt]);
  // An inpainting UNet's extra channels: its text-to-image ones, as a generation from text feeds.
  const condition = model.inpaintLayout ? await model.inpaintCondition(null, undefined) : undefined;
  const rows = (): UnetRow[] =>
    Array.from({ length: r.batch }, (_, i) => ({
      sample: new Float32Array(model.sampleSize).fill(0.1 * i),
      timestep: 500,
      context: emb!.context,
      pooled: emb!.pooled,
      perturb: false,
      ...(condition ? { condition } : {}),
    }));
  const times: number[] = [];
  for (let i = 0; i < r.runs; i++) times.push((await model.runUnet(rows())).ms);
  return times;
}
