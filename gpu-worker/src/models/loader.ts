// Loads a model folder in the Optimum Stable Diffusion layout (tokenizer, text_encoder,
// unet, optional vae_decoder, scheduler) plus guidegate.json when present, reading input
// names, dtypes and ranks from the sessions instead of assuming an exporter version.
import { existsSync, readFileSync } from "node:fs";
import { basename, join } from "node:path";
import type { ModelGuidanceDefaults } from "../guidance/types.ts";
import { f16ToF32, f32ToF16 } from "../runtime/fp16.ts";
import type { SessionInfo, SessionRunner, TensorData, ValueInfo } from "../runtime/protocol.ts";
import { parseSchedulerConfig } from "../schedulers/index.ts";
import type { SchedulerConfig } from "../schedulers/types.ts";
import { chwToRgb, latentToRgb } from "./latent-preview.ts";
import { type Manifest, ManifestSchema } from "./manifest.ts";
import { loadTokenizer } from "./tokenizer.ts";

/** One row of a UNet batch: one image, one branch, at its own timestep. */
export interface UnetRow {
  sample: Float32Array;
  timestep: number;
  context: Float32Array;
  perturb: boolean;
}

interface UnetSpec {
  sample: string;
  timestep: string;
  timestepType: TensorData["type"];
  timestepScalar: boolean; // newest Optimum exports take one timestep for the whole batch
  context: string;
  perturb: string | null;
  output: string;
  half: boolean;
}

const readJson = (p: string): unknown => JSON.parse(readFileSync(p, "utf8"));
const dimOf = (v: ValueInfo | undefined, i: number): number | null => {
  const d = v?.shape[i];
  return typeof d === "number" && d > 0 ? d : null;
};
function find(list: ValueInfo[], name: string, what: string): ValueInfo {
  const v = list.find((x) => x.name === name);
  if (!v) throw new Error(`${what}: no input or output named "${name}" (have ${list.map((x) => x.name).join(", ")})`);
  return v;
}

export class DiffusionModel {
  private embeddingCache = new Map<string, Float32Array>();

  private constructor(
    readonly name: string,
    readonly dir: string,
    private readonly rt: SessionRunner,
    readonly manifest: Manifest | null,
    readonly schedulerConfig: SchedulerConfig,
    readonly defaults: ModelGuidanceDefaults,
    private readonly tokenizer: { maxLength: number; encode(p: string): Int32Array },
    private readonly textInput: { name: string; type: "int32" | "int64" },
    private readonly textOutput: string,
    private readonly unet: UnetSpec,
    /** [channels, height, width] of the denoised tensor (latent for SD, pixels for shapes). */
    readonly sampleShape: [number, number, number],
    readonly contextShape: [number, number],
    private readonly vae: { input: string; output: string; scale: number; half: boolean } | null,
  ) {}

  get space(): "pixel" | "latent" {
    return this.vae ? "latent" : "pixel";
  }
  get supportsPag(): boolean {
    return this.unet.perturb !== null;
  }
  get timestepScalar(): boolean {
    return this.unet.timestepScalar;
  }
  get width(): number {
    return this.sampleShape[2] * (this.vae ? 8 : 1);
  }
  get height(): number {
    return this.sampleShape[1] * (this.vae ? 8 : 1);
  }
  get sampleSize(): number {
    return this.sampleShape[0] * this.sampleShape[1] * this.sampleShape[2];
  }

  static async load(dir: string, rt: SessionRunner, opts: { latentSize?: number } = {}): Promise<DiffusionModel> {
    const manifestPath = join(dir, "guidegate.json");
    const manifest = existsSync(manifestPath) ? ManifestSchema.parse(readJson(manifestPath)) : null;
    const name = manifest?.name ?? basename(dir);
    const schedulerConfig = parseSchedulerConfig(readJson(join(dir, "scheduler", "scheduler_config.json")));
    const calibrationPath = join(dir, "calibration.json");
    const defaults = (existsSync(calibrationPath) ? readJson(calibrationPath) : {}) as ModelGuidanceDefaults;
    const tokenizer = loadTokenizer(join(dir, "tokenizer"));

    const te = await rt.load(`${name}/text_encoder`, join(dir, "text_encoder", "model.onnx"));
    const ids = find(te.inputs, "input_ids", "text_encoder");
    if (ids.type !== "int32" && ids.type !== "int64") throw new Error(`text_encoder input_ids has dtype ${ids.type}`);
    const teOut = find(te.outputs, "last_hidden_state", "text_encoder");

    const un = await rt.load(`${name}/unet`, join(dir, "unet", "model.onnx"));
    const unet = unetSpec(un, manifest);
    const sampleInfo = find(un.inputs, unet.sample, "unet");
    const ctxInfo = find(un.inputs, unet.context, "unet");

    let vae: DiffusionModel["vae"] = null;
    const vaePath = join(dir, "vae_decoder", "model.onnx");
    if (manifest?.space !== "pixel" && existsSync(vaePath)) {
      const vi = await rt.load(`${name}/vae_decoder`, vaePath);
      const cfgPath = join(dir, "vae_decoder", "config.json");
      const scale = existsSync(cfgPath) ? ((readJson(cfgPath) as { scaling_factor?: number }).scaling_factor ?? 0.18215) : 0.18215;
      const input = find(vi.inputs, "latent_sample", "vae_decoder");
      vae = { input: input.name, output: vi.outputs[0]!.name, scale, half: input.type === "float16" };
    }

    const channels = dimOf(sampleInfo, 1) ?? manifest?.channels ?? 4;
    const res = manifest?.resolution ?? opts.latentSize ?? 64;
    const side = vae ? (dimOf(sampleInfo, 2) ?? opts.latentSize ?? res / 8) : (dimOf(sampleInfo, 2) ?? res);
    const seq = dimOf(ctxInfo, 1) ?? tokenizer.maxLength;
    const dim = dimOf(ctxInfo, 2) ?? dimOf(teOut, 2);
    if (!dim) throw new Error("cannot tell the text embedding width from the graphs");
    return new DiffusionModel(
      name,
      dir,
      rt,
      manifest,
      schedulerConfig,
      defaults,
      tokenizer,
      { name: ids.name, type: ids.type },
      teOut.name,
      unet,
      [channels, side, side],
      [seq, dim],
      vae,
    );
  }

  /** Text embeddings [seq*dim] per prompt; cached, since every step of a job reuses them. */
  async encodeText(prompts: string[]): Promise<Float32Array[]> {
    const missing = [...new Set(prompts.filter((p) => !this.embeddingCache.has(p)))];
    if (missing.length > 0) {
      const L = this.tokenizer.maxLength;
      const flat = new Int32Array(missing.length * L);
      for (const [i, p] of missing.entries()) flat.set(this.tokenizer.encode(p), i * L);
      const data = this.textInput.type === "int64" ? BigInt64Array.from(flat, (v) => BigInt(v)) : flat;
      const { outputs } = await this.rt.run(`${this.name}/text_encoder`, {
        [this.textInput.name]: { type: this.textInput.type, data, dims: [missing.length, L] },
      });
      const out = toFloat32(outputs[this.textOutput]!);
      const width = out.length / missing.length;
      for (const [i, p] of missing.entries()) this.remember(p, out.slice(i * width, (i + 1) * width));
    }
    return prompts.map((p) => this.embeddingCache.get(p)!);
  }

  private remember(prompt: string, emb: Float32Array): void {
    if (this.embeddingCache.size >= 256) this.embeddingCache.delete(this.embeddingCache.keys().next().value!);
    this.embeddingCache.set(prompt, emb);
  }

  /** One UNet run over rows (rows of a scalar-timestep model must share their timestep). */
  async runUnet(rows: UnetRow[]): Promise<{ outputs: Float32Array[]; ms: number }> {
    const B = rows.length;
    const n = this.sampleSize;
    const ctxSize = this.contextShape[0] * this.contextShape[1];
    const sample = new Float32Array(B * n);
    const context = new Float32Array(B * ctxSize);
    rows.forEach((r, i) => {
      sample.set(r.sample, i * n);
      context.set(r.context, i * ctxSize);
    });
    const u = this.unet;
    if (u.timestepScalar && rows.some((r) => r.timestep !== rows[0]!.timestep)) {
      throw new Error("this UNet takes one timestep per batch");
    }
    const ts = u.timestepScalar ? [rows[0]!.timestep] : rows.map((r) => r.timestep);
    const feeds: Record<string, TensorData> = {
      [u.sample]: half(u.half, sample, [B, ...this.sampleShape]),
      [u.timestep]: timestepTensor(u.timestepType, ts, u.timestepScalar ? [] : [B]),
      [u.context]: half(u.half, context, [B, ...this.contextShape]),
    };
    if (u.perturb) feeds[u.perturb] = { type: "float32", data: Float32Array.from(rows, (r) => (r.perturb ? 1 : 0)), dims: [B] };
    else if (rows.some((r) => r.perturb)) throw new Error("this model has no perturbed-attention input");
    const { outputs, ms } = await this.rt.run(`${this.name}/unet`, feeds);
    const out = toFloat32(outputs[u.output]!);
    return { outputs: rows.map((_, i) => out.slice(i * n, (i + 1) * n)), ms };
  }

  /** Final denoised tensor of one image -> RGB uint8 [H, W, 3]. */
  async decode(x0: Float32Array): Promise<Uint8Array> {
    if (!this.vae) return chwToRgb(x0, this.sampleShape[1], this.sampleShape[2]);
    const scaled = Float32Array.from(x0, (v) => v / this.vae!.scale);
    const { outputs } = await this.rt.run(`${this.name}/vae_decoder`, {
      [this.vae.input]: half(this.vae.half, scaled, [1, ...this.sampleShape]),
    });
    return chwToRgb(toFloat32(outputs[this.vae.output]!), this.height, this.width);
  }

  /** Cheap preview of an x0 prediction (no VAE run). */
  preview(x0: Float32Array): { rgb: Uint8Array; width: number; height: number } {
    const [, h, w] = this.sampleShape;
    return this.vae ? { rgb: latentToRgb(x0, h, w), width: w, height: h } : { rgb: chwToRgb(x0, h, w), width: w, height: h };
  }
}

function unetSpec(info: SessionInfo, manifest: Manifest | null): UnetSpec {
  const sample = find(info.inputs, "sample", "unet");
  const ts = find(info.inputs, "timestep", "unet");
  const ctx = find(info.inputs, "encoder_hidden_states", "unet");
  const perturbName = manifest?.capabilities.pag?.input ?? null;
  if (perturbName) find(info.inputs, perturbName, "unet");
  if (!["float32", "float16", "int64", "int32"].includes(ts.type)) throw new Error(`unet timestep has dtype ${ts.type}`);
  return {
    sample: sample.name,
    timestep: ts.name,
    timestepType: ts.type as TensorData["type"],
    timestepScalar: ts.shape.length === 0,
    context: ctx.name,
    perturb: perturbName,
    output: info.outputs.find((o) => o.name === "out_sample")?.name ?? info.outputs[0]!.name,
    half: sample.type === "float16",
  };
}

const half = (isHalf: boolean, data: Float32Array, dims: number[]): TensorData =>
  isHalf ? { type: "float16", data: f32ToF16(data), dims } : { type: "float32", data, dims };

function timestepTensor(type: TensorData["type"], ts: number[], dims: number[]): TensorData {
  if (type === "int64") return { type, data: BigInt64Array.from(ts, (t) => BigInt(Math.round(t))), dims };
  if (type === "int32") return { type, data: Int32Array.from(ts, Math.round), dims };
  if (type === "float16") return { type, data: f32ToF16(Float32Array.from(ts)), dims };
  return { type: "float32", data: Float32Array.from(ts), dims };
}

function toFloat32(t: TensorData): Float32Array {
  if (t.type === "float16") return f16ToF32(t.data as Uint16Array);
  return t.data instanceof Float32Array ? t.data : Float32Array.from(t.data as ArrayLike<number>);
}
