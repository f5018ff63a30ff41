// Per-image tensor arithmetic for guidance rules. Reductions accumulate in float64 (JS numbers),
// never in a float32 accumulator, as guidance.md §0 asks for 10⁴–10⁶ elements.

export function dot(a: ArrayLike<number>, b: ArrayLike<number>): number {
  let sum = 0;
  for (let k = 0; k < a.length; k++) sum += a[k]! * b[k]!;
  return sum;
}

export function norm(a: ArrayLike<number>): number {
  return Math.sqrt(dot(a, a));
}

/** Cosine similarity; 1 when either side is all zeros (nothing to tell apart). */
export function cosine(a: ArrayLike<number>, b: ArrayLike<number>): number {
  const denominator = norm(a) * norm(b);
  return denominator > 0 ? dot(a, b) / denominator : 1;
}

/**
 * Cosine after removing each channel's mean (CHW, `channels` equal planes): the agreement of the
 * spatial structure, with the flat per-channel offset (a background colour) left out.
 */
export function centeredCosine(a: ArrayLike<number>, b: ArrayLike<number>, channels = 1): number {
  const plane = a.length / channels;
  let ab = 0;
  let aa = 0;
  let bb = 0;
  for (let ch = 0; ch < channels; ch++) {
    let ma = 0;
    let mb = 0;
    for (let k = ch * plane; k < (ch + 1) * plane; k++) {
      ma += a[k]!;
      mb += b[k]!;
    }
    ma /= plane;
    mb /= plane;
    for (let k = ch * plane; k < (ch + 1) * plane; k++) {
      const da = a[k]! - ma;
      const db = b[k]! - mb;
      ab += da * db;
      aa += da * da;
      bb += db * db;
    }
  }
  const denominator = Math.sqrt(aa * bb);
  return denominator > 0 ? ab / denominator : 1;
}

/** Population standard deviation over all elements. */
export function std(a: ArrayLike<number>): number {
  let mean = 0;
  for (let k = 0; k < a.length; k++) mean += a[k]!;
  mean /= a.length;
  let sq = 0;
  for (let k = 0; k < a.length; k++) sq += (a[k]! - mean) ** 2;
  return Math.sqrt(sq / a.length);
}

/** a − b */
export function sub(a: Float32Array, b: Float32Array): Float32Array {
  return a.map((v, k) => v - b[k]!);
}

/** a + s·b */
export function addScaled(a: Float32Array, b: ArrayLike<number>, s: number): Float32Array {
  return a.map((v, k) => v + s * b[k]!);
}

/** The Imagen-form CFG combination u + w·(c − u). */
export function guide(u: Float32Array, c: Float32Array, w: number): Float32Array {
  return u.map((v, k) => v + w * (c[k]! - v));
}

export function scale(a: Float32Array, s: number): Float32Array {
  return a.map((v) => v * s);
}
