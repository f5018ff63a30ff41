// From an edit's source pixels to the denoised tensor's space: the VAE encoder for latent models
// (its mean, scaled by the VAE's scaling factor, as diffusers' img2img does), the pixels themselves
// for pixel models. Also the keep mask at latent resolution, for the known-region blend.
import { floatTensor, type SessionRunner, toFloat32 } from "../onnx/tensors.ts";
import type { VaeEncoderSpec } from "./graph-spec.ts";
import { rgbToChw } from "./latent-preview.ts";

export class ImageEncoder {
  constructor(
    private readonly rt: SessionRunner,
    private readonly vae: VaeEncoderSpec | null,
    /** [channels, height, width] of the denoised tensor. */
    private readonly sampleShape: [number, number, number],
    /** Pixels per latent pixel along each side (1 for a pixel model). */
    private readonly upscale: number,
  ) {}

  /** RGB uint8 [H, W, 3] at the model's size -> [channels, h, w] of the denoised tensor. */
  encode(rgb: Uint8Array): Promise<Float32Array> {
    const [, h, w] = this.sampleShape;
    return this.encodePixels(rgbToChw(rgb, h * this.upscale, w * this.upscale));
  }

  /** Pixels [3, H, W] in [-1, 1] at the model's size -> [channels, h, w] of the denoised tensor. */
  async encodePixels(pixels: Float32Array): Promise<Float32Array> {
    const [c, h, w] = this.sampleShape;
    if (this.upscale === 1) return pixels;
    const vae = this.vae;
    if (!vae) throw new Error("this model has no vae_encoder: it cannot edit images");
    const { outputs } = await this.rt.run(vae.key, {
      [vae.input]: floatTensor(vae.half, pixels, [1, 3, h * this.upscale, w * this.upscale]),
    });
    const out = toFloat32(outputs[vae.output]!);
    // latent_parameters is mean ‖ logvar along channels: the mean is its first c·h·w values.
    const mean = vae.parameters ? out.subarray(0, c * h * w) : out;
    return Float32Array.from(mean, (v) => v * vae.scale);
  }

  /**
   * A pixel keep mask [H·W] at the denoised tensor's resolution: a latent pixel is kept only where
   * all the pixels it covers are, so the painted region never shrinks (the decoded overlay then
   * puts back every kept pixel exactly).
   */
  keepAtSample(keep: Uint8Array): Uint8Array {
    const [, h, w] = this.sampleShape;
    const f = this.upscale;
    if (f === 1) return keep;
    const out = new Uint8Array(h * w);
    for (let y = 0; y < h; y++)
      for (let x = 0; x < w; x++) {
        let all = 1;
        for (let dy = 0; dy < f && all; dy++)
          for (let dx = 0; dx < f; dx++) if (keep[(y * f + dy) * w * f + x * f + dx] !== 1) all = 0;
        out[y * w + x] = all;
      }
    return out;
  }
}
