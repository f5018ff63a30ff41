// An edit's start and its known region (SDEdit; inpainting without an inpainting UNet): the
// source in the model's sample space, noised to a step of the schedule with the image's noise.
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
