// A shapes model's evaluation set, from its guidegate.json: the attribute vocabulary the checker
// reads images with, and the held-out prompts (each with its seed and attributes) the benches score.
import { existsSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { z } from "zod";
import type { ShapesVocabulary } from "./shapes/vocabulary.ts";

export const EvalItemSchema = z.object({
  prompt: z.string(),
  seed: z.number().int(),
  color: z.string(),
  shape: z.string(),
  background: z.string(),
  size: z.string(),
  seen_in_training: z.boolean(),
});
export type EvalItem = z.infer<typeof EvalItemSchema>;

/** The evaluation part of guidegate.json (the worker reads the rest, gpu-worker/src/models/manifest.ts). */
export const EvalManifestSchema = z.object({
  resolution: z.number().int(),
  palette: z.record(z.string(), z.tuple([z.number(), z.number(), z.number()])).optional(),
  colors: z.array(z.string()).optional(),
  shapes: z.array(z.string()).optional(),
  sizes: z.record(z.string(), z.number()).optional(),
  eval: z.array(EvalItemSchema).optional(),
});

export interface EvalSet {
  vocabulary: ShapesVocabulary;
  items: EvalItem[];
}

/** The vocabulary and held-out items of the model in `dir`; throws when it has none. */
export function readEvalSet(dir: string): EvalSet {
  const path = join(dir, "guidegate.json");
  const m = existsSync(path) ? EvalManifestSchema.parse(JSON.parse(readFileSync(path, "utf8"))) : null;
  if (!m?.palette || !m.shapes || !m.sizes || !m.eval)
    throw new Error(`${dir} has no shapes manifest with an eval set`);
  return {
    vocabulary: { palette: m.palette, shapes: m.shapes, sizes: m.sizes, resolution: m.resolution },
    items: m.eval,
  };
}
