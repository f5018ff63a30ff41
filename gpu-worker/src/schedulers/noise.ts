// Seeded standard normal noise: xoshiro128** (seeded by splitmix32) + Box–Muller. JS has no
// torch.randn, so images are reproducible per seed here but never bit-equal to Python's.
import type { NoiseSource } from "./types.ts";

function splitmix32(seed: number): () => number {
  let state = seed >>> 0;
  return () => {
    state = (state + 0x9e3779b9) >>> 0;
    let z = state;
    z = Math.imul(z ^ (z >>> 16), 0x85ebca6b) >>> 0;
    z = Math.imul(z ^ (z >>> 13), 0xc2b2ae35) >>> 0;
    return (z ^ (z >>> 16)) >>> 0;
  };
}

/** Uniform 32-bit integers from xoshiro128** (period 2^128 − 1, ample for megapixel latents). */
function xoshiro128ss(seed: number): () => number {
  const init = splitmix32(seed);
  let a = init();
  let b = init();
  let c = init();
  let d = init();
  if ((a | b | c | d) === 0) a = 1; // the all-zero state is a fixed point
  return () => {
    const result = Math.imul(rotl(Math.imul(b, 5), 7), 9) >>> 0;
    const t = b << 9;
    c ^= a;
    d ^= b;
    b ^= c;
    a ^= d;
    c ^= t;
    d = rotl(d, 11);
    return result;
  };
}

function rotl(x: number, k: number): number {
  return (x << k) | (x >>> (32 - k));
}

/**
 * A NoiseSource yielding N(0, 1) samples; each call continues one stream, so the same seed and
 * the same sequence of calls give the same numbers. Seeds are taken modulo 2^32.
 */
export function gaussianNoise(seed: number): NoiseSource {
  const next = xoshiro128ss(Math.floor(seed));
  const uniform = () => (next() + 0.5) / 4294967296; // open interval (0, 1): log never sees 0
  let spare: number | undefined;
  const normal = (): number => {
    if (spare !== undefined) {
      const value = spare;
      spare = undefined;
      return value;
    }
    const radius = Math.sqrt(-2 * Math.log(uniform()));
    const angle = 2 * Math.PI * uniform();
    spare = radius * Math.sin(angle);
    return radius * Math.cos(angle);
  };
  return (length: number) => {
    const out = new Float32Array(length);
    for (let k = 0; k < length; k++) out[k] = normal();
    return out;
  };
}
