// The prompts label-free calibration runs on a model without an evaluator: the model's own
// calibration-prompts.txt beside it (one prompt a line), else a small general default set.
// Seeds are fixed per position, so a candidate and its full-NFE reference share them.
import { existsSync, readFileSync } from "node:fs";
import { join } from "node:path";

export const PROMPTS_FILE = "calibration-prompts.txt";
const SEED_BASE = 2_000_000;
const DEFAULT_PROMPTS = [
  "a red apple on a wooden table",
  "a lighthouse on a cliff at sunset",
  "a portrait of an old man with a beard",
  "a bowl of ramen, studio lighting",
  "a snowy mountain village at night",
  "a cat sleeping on a windowsill",
  "a vintage car parked on a city street",
  "an astronaut riding a horse in a desert",
];

/** `count` prompts with seeds, cycling the set (with new seeds) when it is shorter. */
export function promptSet(dir: string, count: number): Array<{ prompt: string; seed: number }> {
  const path = join(dir, PROMPTS_FILE);
  const own = existsSync(path)
    ? readFileSync(path, "utf8")
        .split("\n")
        .map((l) => l.trim())
        .filter(Boolean)
    : [];
  const prompts = own.length > 0 ? own : DEFAULT_PROMPTS;
  return Array.from({ length: count }, (_, i) => ({ prompt: prompts[i % prompts.length]!, seed: SEED_BASE + i }));
}
