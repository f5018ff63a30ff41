// A diffusion model loaded from its folder (graph-spec.ts): text conditioning, UNet runs over
// batches of rows, decoding and previews. Sessions live in a SessionRunner (the runtime thread's
// SessionHost); nothing here imports onnxruntime-node.
import type { ModelGuidanceDefaults } from "../guidance/types.ts";
import type { SessionRunner } from "../onnx/tensors.ts";
import type { SchedulerConfig } from "../schedulers/types.ts";
import { rgbToChw } from "./latent-preview.ts";
import { inspectModel, type ModelSpec } from "./graph-spec.ts";
import type { Manifest } from "./manifest.ts";
import { TextConditioner, type TextEmbedding } from "./text-conditioning.ts";
import { sdxlTimeIds, type UnetRow, unetFeeds, unetOutputs } from "./unet-feeds.ts";
import { ImageDecoder } from "./vae.ts";
import { ImageEncoder } from "./vae-encoder.ts";

export interface LoadOptions {
  latentSize?: number;
  /** Guidance defaults to use instead of the folder's calibration.json (calibration measures without them). */
  defaults?: ModelGuidanceDefaults;
}

export class DiffusionModel {
  readonly name: string;
  readonly dir: string;
  readonly manifest: Manifest | null;
  readonly schedulerConfig: SchedulerConfig;
  readonly defaults: ModelGuidanceDefaults;
  /** diffusers' SDXL force_zeros_for_empty_prompt: an empty negative prompt conditions on zeros. */
  readonly zeroEmptyNegative: boolean;
  /** [channels, height, width] of the denoised tensor (latent for SD, pixels for shapes). */
  readonly sampleShape: [number, number, number];
  readonly contextShape: [number, number];
  private readonly text: TextConditioner;
  private readonly decoder: ImageDecoder;
  private readonly encoder: ImageEncoder;

  private constructor(
    private readonly spec: ModelSpec,
    private readonly rt: SessionRunner,
  ) {
    ({
      name: this.name,
      dir: this.dir,
      manifest: this.manifest,
      schedulerConfig: this.schedulerConfig,
      defaults: this.defaults,
      zeroEmptyNegative: this.zeroEmptyNegative,
      sampleShape: this.sampleShape,
      contextShape: this.contextShape,
    } = spec);
    this.text = new TextConditioner(rt, {
      encoders: spec.encoders,
      contextShape: spec.contextShape,
      pooledSize: this.pooledSize,
      zeroEmptyNegative: spec.zeroEmptyNegative,
    });
    this.decoder = new ImageDecoder(rt, spec.vae, spec.sampleShape);
    this.encoder = new ImageEncoder(rt, spec.vaeEncoder, spec.sampleShape, this.decoder.upscale);
  }

  static async load(dir: string, rt: SessionRunner, opts: LoadOptions = {}): Promise<DiffusionModel> {
    return new DiffusionModel(await inspectModel(dir, rt, opts), rt);
  }

  get space(): "pixel" | "latent" {
    return this.spec.vae ? "latent" : "pixel";
  }
  /** Whether it takes image input: pixel models always, latent ones with a vae_encoder. */
  get editable(): boolean {
    return this.space === "pixel" || this.spec.vaeEncoder !== null;
  }
  /** SD's 9-channel inpainting UNet: it takes the mask and the masked source instead of a blend. */
  get inpaintLayout(): boolean {
    return this.spec.unet.inpaint;
  }
  get supportsPag(): boolean {
    return this.spec.unet.perturb !== null;
  }
  get timestepScalar(): boolean {
    return this.spec.unet.timestepScalar;
  }
  get width(): number {
    return this.sampleShape[2] * this.decoder.upscale;
  }
  get height(): number {
    return this.sampleShape[1] * this.decoder.upscale;
  }
  get sampleSize(): number {
    return this.sampleShape[0] * this.sampleShape[1] * this.sampleShape[2];
  }
  /** Length of the pooled embedding the UNet takes (SDXL's text_embeds), or null. */
  get pooledSize(): number | null {
    return this.spec.unet.added?.pooledSize ?? null;
  }
  get timeIds(): Float32Array {
    return sdxlTimeIds(this.height, this.width);
  }

  /** Text embeddings [seq*dim] per prompt (the UNet's encoder_hidden_states). */
  async encodeText(prompts: string[]): Promise<Float32Array[]> {
    return (await this.encodePrompts(prompts)).map((e) => e.context);
  }

  /** Conditioning per prompt; cached, since every step of a job reuses it. */
  encodePrompts(prompts: string[]): Promise<TextEmbedding[]> {
    return this.text.encodePrompts(prompts);
  }

  /** A job's cond and uncond conditioning; SDXL zeroes an empty negative prompt's instead of encoding "". */
  encodeConditioning(prompt: string, negative = ""): Promise<{ cond: TextEmbedding; uncond: TextEmbedding }> {
    return this.text.encodeConditioning(prompt, negative);
  }

  /** One UNet run over rows (rows of a scalar-timestep model must share their timestep). */
  async runUnet(rows: UnetRow[]): Promise<{ outputs: Float32Array[]; ms: number }> {
    const u = this.spec.unet;
    const feeds = unetFeeds(
      u,
      {
        sampleShape: this.sampleShape,
        contextShape: this.contextShape,
        timeIds: this.timeIds,
        conditionChannels: u.inpaint ? this.sampleShape[0] + 1 : 0,
      },
      rows,
    );
    const { outputs, ms } = await this.rt.run(u.key, feeds);
    return { outputs: unetOutputs(u, outputs, rows.length, this.sampleSize), ms };
  }

  /** Final denoised tensor of one image -> RGB uint8 [H, W, 3]. */
  decode(x0: Float32Array): Promise<Uint8Array> {
    return this.decoder.decode(x0);
  }

  /** An edit's source, RGB uint8 [H, W, 3] at the model's size -> the denoised tensor's space. */
  async encodeImage(rgb: Uint8Array): Promise<Float32Array> {
    if (!this.editable) throw new Error(`model ${this.name} cannot edit images (no vae_encoder)`);
    return this.encoder.encode(rgb);
  }

  /** A pixel keep mask [H·W] at the denoised tensor's resolution (kept only where all its pixels are). */
  keepAtSample(keep: Uint8Array): Uint8Array {
    return this.encoder.keepAtSample(keep);
  }

  /**
   * What an inpainting UNet takes beside the latent: the mask (1 where to paint, at latent
   * resolution) and the source with the painted region blanked (0 in [-1, 1]), encoded; diffusers'
   * layout. Without a source (text-to-image) everything is painted over a blank image.
   */
  async inpaintCondition(rgb: Uint8Array | null, keep: Uint8Array | undefined): Promise<Float32Array> {
    const [c, h, w] = this.sampleShape;
    const hw = this.height * this.width;
    // An edit without a mask paints everywhere: its masked source is blank, as text-to-image's.
    const pixels = rgb && keep ? rgbToChw(rgb, this.height, this.width) : new Float32Array(3 * hw);
    if (keep) for (let k = 0; k < pixels.length; k++) if (keep[k % hw] !== 1) pixels[k] = 0;
    const masked = this.spec.vaeEncoder ? await this.encoder.encodePixels(pixels) : new Float32Array(c * h * w);
    const paint = keep ? this.keepAtSample(keep) : null;
    const out = new Float32Array((c + 1) * h * w);
    for (let p = 0; p < h * w; p++) out[p] = paint ? 1 - paint[p]! : 1;
    out.set(masked, h * w);
    return out;
  }

  /** Cheap preview of an x0 prediction (no VAE run). */
  preview(x0: Float32Array): { rgb: Uint8Array; width: number; height: number } {
    return this.decoder.preview(x0);
  }
}
