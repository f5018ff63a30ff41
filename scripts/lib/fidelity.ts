// Label-free fidelity of an image to a reference at the same seed: SSIM (ssim.js, Wang et al.'s
// windowed form on luma) and PSNR over the RGB bytes. Images are the pipeline's RGB [H, W, 3].
import { ssim as ssimOf } from "ssim.js";

/** Where two images are identical PSNR is infinite; capped so the mean and JSON stay finite. */
export const PSNR_CAP_DB = 100;
/** ssim.js's default window; small models (tiny fixtures, 32-pixel shapes) get a smaller one. */
const SSIM_WINDOW_PX = 11;

function rgba(rgb: Uint8Array, width: number, height: number) {
  const data = new Uint8ClampedArray(width * height * 4);
  for (let p = 0; p < width * height; p++) {
    data.set(rgb.subarray(3 * p, 3 * p + 3), 4 * p);
    data[4 * p + 3] = 255;
  }
  return { data, width, height };
}

export function ssim(a: Uint8Array, b: Uint8Array, width: number, height: number): number {
  // No downsampling: ssim.js's default shrinks images over 256 px, which would blur what we measure.
  const windowSize = Math.min(SSIM_WINDOW_PX, width, height);
  return ssimOf(rgba(a, width, height), rgba(b, width, height), { windowSize, downsample: false, ssim: "original" })
    .mssim;
}

export function psnrDb(a: Uint8Array, b: Uint8Array): number {
  let se = 0;
  for (let k = 0; k < a.length; k++) se += (a[k]! - b[k]!) ** 2;
  return se === 0 ? PSNR_CAP_DB : Math.min(PSNR_CAP_DB, 10 * Math.log10((255 * 255 * a.length) / se));
}
