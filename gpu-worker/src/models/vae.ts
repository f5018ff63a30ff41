// From the denoised tensor to pixels: the VAE decoder for latent models (pixel models are their own
// image), and cheap previews of an x0 prediction that never run the VAE.
import { floatTensor, type SessionRunner, toFloat32 } from "../onnx/tensors.ts";
import type { VaeSpec } from "./graph-spec.ts";
import { chwToRgb, latentToRgb } from "./latent-preview.ts";

export class ImageDecoder {
  constructor(
    private readonly rt: SessionRunner,
    private readonly vae: VaeSpec | null,
    /** [channels, height, width] of the denoised tensor. */
    private readonly sampleShape: [number, number, number],
  ) {}

  /** Pixels per latent pixel along each side (8 for SD's VAE, 1 for a pixel model). */
  get upscale(): number {
    return this.vae ? 8 : 1;
  }

  /** Final denoised tensor of one image -> RGB uint8 [H, W, 3]. */
  async decode(x0: Float32Array): Promise<Uint8Array> {
    const [, h, w] = this.sampleShape;
    if (!this.vae) return chwToRgb(x0, h, w);
    const vae = this.vae;
    const scaled = Float32Array.from(x0, (v) => v / vae.scale);
    const { outputs } = await this.rt.run(vae.key, {
      [vae.input]: floatTensor(vae.half, scaled, [1, ...this.sampleShape]),
    });
    return chwToRgb(toFloat32(outputs[vae.output]!), h * this.upscale, w * this.upscale);
  }

  /** Cheap preview of an x0 prediction (no VAE run). */
  preview(x0: Float32Array): { rgb: Uint8Array; width: number; height: number } {
    const [, h, w] = this.sampleShape;
    return this.vae
      ? { rgb: latentToRgb(x0, h, w), width: w, height: h }
      : { rgb: chwToRgb(x0, h, w), width: w, height: h };
  }
}
