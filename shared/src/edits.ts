// Image inputs of an edit (img2img by strength, SDEdit; inpainting by a mask) as both sides see
// them, and how many steps of a schedule an edit runs: the edge reserves and the worker runs by it.
import { z } from "zod";

/** OpenAI's images.edit takes up to 16 images. */
export const MAX_EDIT_IMAGES = 16;

/** How much of the schedule an edit re-runs: 1 regenerates from noise, 0 returns the source. */
export const StrengthSchema = z.number().min(0).max(1);
/** OpenAI's images.edit has no strength; full regeneration (its behaviour) is ours too. */
export const DEFAULT_STRENGTH = 1;

// Float noise (0.3 × 10 = 3.0000000000000004) must not bill a step that never runs.
const STEP_EPSILON = 1e-9;

/**
 * Steps an edit runs of a `steps`-step schedule: the last ceil(strength × steps). Schedules and the
 * NFE bound see only these; the source is noised to the first of them.
 */
export function runSteps(steps: number, strength: number = DEFAULT_STRENGTH): number {
  return Math.min(steps, Math.max(0, Math.ceil(strength * steps - STEP_EPSILON)));
}
