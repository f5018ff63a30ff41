// Test helper: perturbs clean renders the way a decent model output might differ from them.
import type { UniformRandom } from "../../../../eval/src/shapes/scene-sampler.ts";

function gaussian(random: UniformRandom): number {
  return Math.sqrt(-2 * Math.log(1 - random())) * Math.cos(2 * Math.PI * random());
}

/** Adds N(0, sigma) per channel (in 0..255 units) and sets `flips` random pixels to random colours. */
export function addNoise(pixels: Uint8Array, random: UniformRandom, sigma: number, flips: number): Uint8Array {
  const noisy = new Uint8Array(pixels.length);
  for (let i = 0; i < pixels.length; i++) {
    noisy[i] = Math.max(0, Math.min(255, Math.round(pixels[i]! + sigma * gaussian(random))));
  }
  const pixelCount = pixels.length / 3;
  for (let f = 0; f < flips; f++) {
    const p = Math.floor(random() * pixelCount);
    for (let c = 0; c < 3; c++) noisy[p * 3 + c] = Math.floor(random() * 256);
  }
  return noisy;
}
