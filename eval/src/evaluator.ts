// The evaluator a model's manifest names (guidegate.json `evaluator`), as calibration uses it:
// calibration prompts with seeds, each able to say whether an image follows it. Models without
// one are calibrated on fidelity alone.
import { existsSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { z } from "zod";
import { calibrationPrompts } from "./calibration-prompts.ts";
import { readEvalSet } from "./eval-set.ts";
import { checkPrompt } from "./shapes/checker.ts";

export const EVALUATORS = ["shapes"] as const;
const EvaluatorManifestSchema = z.object({ evaluator: z.enum(EVALUATORS).optional() });

export interface CheckedPrompt {
  prompt: string;
  seed: number;
  /** Whether the decoded RGB image follows the prompt. */
  accepts(rgb: Uint8Array): boolean;
}

/** The evaluator named by the manifest in `dir`, if any. */
export function evaluatorOf(dir: string): (typeof EVALUATORS)[number] | undefined {
  const path = join(dir, "guidegate.json");
  return existsSync(path) ? EvaluatorManifestSchema.parse(JSON.parse(readFileSync(path, "utf8"))).evaluator : undefined;
}

/** `count` calibration prompts the evaluator can check, or undefined where the model names none. */
export function checkedPrompts(dir: string, count: number): CheckedPrompt[] | undefined {
  if (evaluatorOf(dir) !== "shapes") return undefined;
  const { vocabulary, items } = readEvalSet(dir);
  return calibrationPrompts(vocabulary, count, items).map((it) => ({
    prompt: it.prompt,
    seed: it.seed,
    accepts: (rgb) => checkPrompt(rgb, it, vocabulary).all,
  }));
}
