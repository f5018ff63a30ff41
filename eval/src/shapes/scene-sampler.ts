// Seeded random scenes with shapes.py's `sample_scene` ranges (not its numpy stream), for tests and evals.
import { radiusOf, resolutionOf, type ShapeScene, type ShapesVocabulary } from "./vocabulary.ts";

export type UniformRandom = () => number;

/** mulberry32: small, fast, and good enough to make test scenes reproducible from a seed. */
export function seededRandom(seed: number): UniformRandom {
  let state = seed >>> 0;
  return () => {
    state = (state + 0x6d2b79f5) >>> 0;
    let t = state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

function pick<T>(items: readonly T[], random: UniformRandom): T {
  const item = items[Math.floor(random() * items.length)];
  if (item === undefined) throw new Error("cannot pick from an empty list");
  return item;
}

/** A scene whose shape lies fully inside the image with a 1 px margin, colour != background. */
export function sampleScene(random: UniformRandom, vocabulary: ShapesVocabulary): ShapeScene {
  const colors = Object.keys(vocabulary.palette);
  const sizes = Object.keys(vocabulary.sizes);
  const res = resolutionOf(vocabulary);
  for (;;) {
    const color = pick(colors, random);
    const background = pick(colors, random);
    const shape = pick(vocabulary.shapes, random);
    if (color === background) continue;
    const size = pick(sizes, random);
    const r = radiusOf(vocabulary, size);
    const cx = r + 1 + random() * (res - 2 * r - 2);
    const cy = r + 1 + random() * (res - 2 * r - 2);
    return { color, shape, background, size, cx, cy };
  }
}
