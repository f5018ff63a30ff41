// Calibration prompts: drawn from the vocabulary with their own seed, excluding every
// (prompt, seed) of the held-out evaluation set, so calibration never sees the test.
import type { EvalItem } from "./eval-set.ts";
import { promptOf } from "./shapes/checker.ts";
import type { ShapeAttributes, ShapesVocabulary } from "./shapes/vocabulary.ts";

export function calibrationPrompts(
  v: ShapesVocabulary,
  count: number,
  evalSet: EvalItem[],
): Array<ShapeAttributes & { prompt: string; seed: number }> {
  const evalPrompts = new Set(evalSet.map((e) => e.prompt));
  let state = 0x9e3779b9;
  const rand = () => {
    state = (state + 0x6d2b79f5) >>> 0;
    let t = state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
  const pick = <T>(xs: readonly T[]) => xs[Math.floor(rand() * xs.length)]!;
  const colors = Object.keys(v.palette);
  const out: Array<ShapeAttributes & { prompt: string; seed: number }> = [];
  while (out.length < count) {
    const a: ShapeAttributes = {
      color: pick(colors),
      background: pick(colors),
      shape: pick(v.shapes),
      size: pick(Object.keys(v.sizes)),
    };
    if (a.color === a.background) continue;
    const prompt = promptOf(a);
    if (evalPrompts.has(prompt)) continue;
    out.push({ ...a, prompt, seed: 1_000_000 + Math.floor(rand() * 1_000_000) });
  }
  return out;
}
