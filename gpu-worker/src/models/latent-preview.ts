// Cheap previews of SD latents: a per-pixel linear map from the 4 latent channels to RGB
// (ComfyUI's latent_formats factors), applied to the x0 prediction in scaled latent space.
const SD15: number[][] = [
  [0.3512, 0.2297, 0.3227],
  [0.325, 0.4974, 0.235],
  [-0.2829, 0.1762, 0.2721],
  [-0.212, -0.2616, -0.7177],
];

/** x0: [4, h, w] (one image) -> RGB uint8 [h, w, 3]. */
export function latentToRgb(x0: Float32Array, h: number, w: number, factors: number[][] = SD15): Uint8Array {
  const out = new Uint8Array(h * w * 3);
  const hw = h * w;
  for (let p = 0; p < hw; p++) {
    for (let c = 0; c < 3; c++) {
      let v = 0;
      for (let ch = 0; ch < factors.length; ch++) v += x0[ch * hw + p]! * factors[ch]![c]!;
      out[p * 3 + c] = Math.round((Math.min(1, Math.max(-1, v)) + 1) * 127.5);
    }
  }
  return out;
}

/** Pixel-space model output [3, h, w] in [-1, 1] -> RGB uint8 [h, w, 3]. */
export function chwToRgb(x: Float32Array, h: number, w: number): Uint8Array {
  const out = new Uint8Array(h * w * 3);
  const hw = h * w;
  for (let p = 0; p < hw; p++) {
    for (let c = 0; c < 3; c++) out[p * 3 + c] = Math.round((Math.min(1, Math.max(-1, x[c * hw + p]!)) + 1) * 127.5);
  }
  return out;
}

/** RGB uint8 [H, W, 3] -> [3, H, W] in [-1, 1], a pixel model's sample (chwToRgb's inverse). */
export function rgbToChw(rgb: Uint8Array, h: number, w: number): Float32Array {
  const hw = h * w;
  const out = new Float32Array(3 * hw);
  for (let p = 0; p < hw; p++) for (let c = 0; c < 3; c++) out[c * hw + p] = rgb[p * 3 + c]! / 127.5 - 1;
  return out;
}
