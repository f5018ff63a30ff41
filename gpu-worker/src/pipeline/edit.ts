// An edit's start and its known region (SDEdit; inpainting without an inpainting UNet): the
// source in the model's sample space (a latent model's through its vae_encoder), noised to a step
// of the schedule with the image's noise; an inpainting UNet's mask and masked source instead.
import type { DiffusionModel } from "../models/diffusion-model.ts";
import type { Scheduler } from "../schedulers/types.ts";

/** An edit's source, all data (it crosses to the runtime thread). */
export interface EditSource {
  /** RGB uint8 [H, W, 3] at the model's resolution. */
  rgb: Uint8Array;
  /** Of the schedule, the part to run (shared's runSteps). */
  strength: number;
  /** [H·W], 1 where the source is kept (mask opaque), 0 where to paint; absent: edit everywhere. */
  keep?: Uint8Array;
}

/** The source as the state at step i of `steps`: noised there, itself once the schedule is done. */
export function sourceAt(scheduler: Scheduler, x0: Float32Array, eps: Float32Array, i: number): Float32Array {
  return i >= scheduler.steps ? Float32Array.from(x0) : scheduler.noised(x0, eps, i);
}

/**
 * Puts the known region back on the source's trajectory after a step, so that at the end (σ = 0)
 * it is the source exactly: the painted region sees a consistent surround at every noise level.
 */
export function keepKnown(x: Float32Array, known: Float32Array, keep: Uint8Array): Float32Array {
  const hw = keep.length;
  for (let k = 0; k < x.length; k++) if (keep[k % hw] === 1) x[k] = known[k]!;
  return x;
}

/** An edit's source in the model's spaces, ready for the denoising loop. */
export interface PreparedSource {
  /** The source pixels and pixel keep mask, for the decoded overlay. */
  rgb: Uint8Array;
  keep: Uint8Array | undefined;
  /** The source in the sample space, and the keep mask at its resolution (the known-region blend). */
  x0: Float32Array;
  keepSample: Uint8Array | undefined;
  /** An inpainting UNet's extra channels; it replaces the blend. */
  condition: Float32Array | undefined;
}

export function prepareSources(model: DiffusionModel, sources: EditSource[]): Promise<PreparedSource[]> {
  return Promise.all(
    sources.map(async (s) => ({
      rgb: s.rgb,
      keep: s.keep,
      x0: await model.encodeImage(s.rgb),
      keepSample: s.keep && !model.inpaintLayout ? model.keepAtSample(s.keep) : undefined,
      condition: model.inpaintLayout ? await model.inpaintCondition(s.rgb, s.keep) : undefined,
    })),
  );
}

/**
 * The source's pixels back where the mask keeps them: a latent model's decode only approximates
 * its encode, and an edit promises the unmasked region as sent (OpenAI's edits do the same).
 */
export function overlayKept(out: Uint8Array, src: PreparedSource): Uint8Array {
  const keep = src.keep;
  if (!keep) return out;
  for (let k = 0; k < out.length; k++) if (keep[Math.floor(k / 3)] === 1) out[k] = src.rgb[k]!;
  return out;
}
