// Loads a model folder in the Optimum Stable Diffusion layout (tokenizer, text_encoder,
// unet, optional vae_decoder, scheduler; SDXL adds tokenizer_2 and text_encoder_2) plus
// guidegate.json when present, reading input names, dtypes and ranks from the sessions
// instead of assuming an exporter version.
import { existsSync, readFileSync } from "node:fs";
import { basename, join } from "node:path";
import type { ModelGuidanceDefaults } from "../guidance/types.ts";
import { ModelGuidanceDefaultsSchema } from "../guidance/defaults.ts";
import { f16ToF32, f32ToF16 } from "../runtime/fp16.ts";
import type { SessionInfo, SessionRunner, TensorData, ValueInfo } from "../runtime/protocol.ts";
import { parseSchedulerConfig } from "../schedulers/index.ts";
import type { SchedulerConfig } from "../schedulers/types.ts";
import { chwToRgb, latentToRgb } from "./latent-preview.ts";
import { type Manifest, ManifestSchema } from "./manifest.ts";
import { loadTokenizer, type PromptTokenizer } from "./tokenizer.ts";

/** One row of a UNet batch: one image, one branch, at its own timestep. */
export interface UnetRow {
  sample: Float32Array;
  timestep: number;
  context: Float32Array;
  /** The branch's pooled prompt embedding (SDXL's text_embeds); required by models that take one. */
  pooled?: Float32Array | null;
  perturb: boolean;
}

/** A prompt's conditioning: encoder_hidden_states [seq*dim] and, for SDXL, text_embeds [P]. */
export interface TextEmbedding {
  context: Float32Array;
  pooled: Float32Array | null;
}

interface TextEncoderSpec {
  key: string;
  tokenizer: PromptTokenizer;
  ids: { name: string; type: "int32" | "int64" };
  hidden: string;
  width: number | null; // features per token, when the graph declares it
  pooled: string | null;
}

/** One text encoder's outputs for a list of prompts. */
interface EncoderRun {
  hidden: Float32Array;
  width: number;
  pooled: Float32Array | null;
  pooledSize: number;
}

/** SDXL's added conditioning inputs. */
interface AddedSpec {
  textEmbeds: string;
  textEmbedsHalf: boolean;
  pooledSize: number;
  timeIds: string;
  timeIdsHalf: boolean;
}

interface UnetSpec {
  sample: string;
  timestep: string;
  timestepType: TensorData["type"];
  timestepScalar: boolean; // newest Optimum exports take one timestep for the whole batch
  context: string;
  perturb: string | null;
  added: AddedSpec | null;
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

/** SDXL's time_ids [orig_h, orig_w, crop_top, crop_left, target_h, target_w]: generated at its own size, uncropped. */
export const sdxlTimeIds = (height: number, width: number): Float32Array => Float32Array.of(height, width, 0, 0, height, width);

export class DiffusionModel {
  private embeddingCache = new Map<string, TextEmbedding>();

  private constructor(
    readonly name: string,
    readonly dir: string,
    private readonly rt: SessionRunner,
    readonly manifest: Manifest | null,
    readonly schedulerConfig: SchedulerConfig,
    readonly defaults: ModelGuidanceDefaults,
    private readonly encoders: TextEncoderSpec[],
    /** diffusers' SDXL force_zeros_for_empty_prompt: an empty negative prompt conditions on zeros. */
    readonly zeroEmptyNegative: boolean,
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
  /** Length of the pooled embedding the UNet takes (SDXL's text_embeds), or null. */
  get pooledSize(): number | null {
    return this.unet.added?.pooledSize ?? null;
  }
  get timeIds(): Float32Array {
    return sdxlTimeIds(this.height, this.width);
  }

  static async load(dir: string, rt: SessionRunner, opts: { latentSize?: number } = {}): Promise<DiffusionModel> {
    const manifestPath = join(dir, "guidegate.json");
    const manifest = existsSync(manifestPath) ? ManifestSchema.parse(readJson(manifestPath)) : null;
    const name = manifest?.name ?? basename(dir);
    const schedulerConfig = parseSchedulerConfig(readJson(join(dir, "scheduler", "scheduler_config.json")));
    const calibrationPath = join(dir, "calibration.json");
    const defaults = ModelGuidanceDefaultsSchema.parse(existsSync(calibrationPath) ? readJson(calibrationPath) : {});
    const xl = existsSync(join(dir, "text_encoder_2", "model.onnx"));
    const encoders = [await textEncoderSpec(rt, name, dir, "", xl, false)];
    if (xl) encoders.push(await textEncoderSpec(rt, name, dir, "_2", xl, true));
    const indexPath = join(dir, "model_index.json");
    const index = (existsSync(indexPath) ? readJson(indexPath) : {}) as { force_zeros_for_empty_prompt?: boolean };

    const un = await rt.load(`${name}/unet`, join(dir, "unet", "model.onnx"));
    const unet = unetSpec(un, manifest, encoders[1] ?? null);
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
    const seq = dimOf(ctxInfo, 1) ?? encoders[0]!.tokenizer.maxLength;
    const bad = encoders.find((e) => e.tokenizer.maxLength !== seq);
    if (bad) throw new Error(`${bad.key}: tokenizer gives ${bad.tokenizer.maxLength} tokens, the unet takes ${seq}`);
    const widths = encoders.map((e) => e.width);
    const dim = dimOf(ctxInfo, 2) ?? (widths.every((w) => w !== null) ? widths.reduce((a, w) => a + w!, 0) : null);
    if (!dim) throw new Error("cannot tell the text embedding width from the graphs");
    return new DiffusionModel(
      name,
      dir,
      rt,
      manifest,
      schedulerConfig,
      defaults,
      encoders,
      xl && (index.force_zeros_for_empty_prompt ?? true), // diffusers' SDXL default
      unet,
      [channels, side, side],
      [seq, dim],
      vae,
    );
  }

  /** Text embeddings [seq*dim] per prompt (the UNet's encoder_hidden_states). */
  async encodeText(prompts: string[]): Promise<Float32Array[]> {
    return (await this.encodePrompts(prompts)).map((e) => e.context);
  }

  /** Conditioning per prompt; cached, since every step of a job reuses it. */
  async encodePrompts(prompts: string[]): Promise<TextEmbedding[]> {
    // Hits are taken before the await: concurrent encodes may evict them from the cache meanwhile.
    const found = new Map<string, TextEmbedding>();
    for (const p of prompts) {
      const hit = this.embeddingCache.get(p);
      if (hit) found.set(p, this.remember(p, hit));
    }
    const missing = [...new Set(prompts.filter((p) => !found.has(p)))];
    if (missing.length > 0) {
      const runs = await Promise.all(this.encoders.map((e) => this.runEncoder(e, missing)));
      for (const [i, p] of missing.entries()) found.set(p, this.remember(p, this.joinEncoders(runs, i)));
    }
    return prompts.map((p) => found.get(p)!);
  }

  /** A job's cond and uncond conditioning; SDXL zeroes an empty negative prompt's instead of encoding "". */
  async encodeConditioning(prompt: string, negative = ""): Promise<{ cond: TextEmbedding; uncond: TextEmbedding }> {
    if (negative === "" && this.zeroEmptyNegative) {
      const [cond] = await this.encodePrompts([prompt]);
      const pooled = this.pooledSize === null ? null : new Float32Array(this.pooledSize);
      return { cond: cond!, uncond: { context: new Float32Array(this.contextShape[0] * this.contextShape[1]), pooled } };
    }
    const [cond, uncond] = await this.encodePrompts([prompt, negative]);
    return { cond: cond!, uncond: uncond! };
  }

  private async runEncoder(e: TextEncoderSpec, prompts: string[]): Promise<EncoderRun> {
    const L = e.tokenizer.maxLength;
    const flat = new Int32Array(prompts.length * L);
    for (const [i, p] of prompts.entries()) flat.set(e.tokenizer.encode(p), i * L);
    const data = e.ids.type === "int64" ? BigInt64Array.from(flat, (v) => BigInt(v)) : flat;
    const { outputs } = await this.rt.run(e.key, { [e.ids.name]: { type: e.ids.type, data, dims: [prompts.length, L] } });
    const hidden = toFloat32(outputs[e.hidden]!);
    const pooled = e.pooled ? toFloat32(outputs[e.pooled]!) : null;
    return { hidden, width: hidden.length / (prompts.length * L), pooled, pooledSize: pooled ? pooled.length / prompts.length : 0 };
  }

  /** Prompt i's per-token features of every encoder side by side (SDXL concatenates its two encoders'). */
  private joinEncoders(runs: EncoderRun[], i: number): TextEmbedding {
    const [seq, dim] = this.contextShape;
    const total = runs.reduce((s, r) => s + r.width, 0);
    if (total !== dim) throw new Error(`text encoders give ${total} features per token, the unet takes ${dim}`);
    const context = new Float32Array(seq * dim);
    let offset = 0;
    for (const r of runs) {
      for (let s = 0; s < seq; s++) context.set(r.hidden.subarray((i * seq + s) * r.width, (i * seq + s + 1) * r.width), s * dim + offset);
      offset += r.width;
    }
    const p = runs.find((r) => r.pooled);
    const pooled = p ? p.pooled!.slice(i * p.pooledSize, (i + 1) * p.pooledSize) : null;
    if (this.pooledSize !== null && pooled?.length !== this.pooledSize) {
      throw new Error(`text_embeds: the encoder gives ${pooled?.length ?? 0} values, the unet takes ${this.pooledSize}`);
    }
    return { context, pooled };
  }

  /** Least-recently-used cache of 256 prompts (re-inserting moves a hit to the back). */
  private remember(prompt: string, emb: TextEmbedding): TextEmbedding {
    this.embeddingCache.delete(prompt);
    if (this.embeddingCache.size >= 256) this.embeddingCache.delete(this.embeddingCache.keys().next().value!);
    this.embeddingCache.set(prompt, emb);
    return emb;
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
    if (u.added) Object.assign(feeds, this.addedFeeds(u.added, rows));
    if (u.perturb) feeds[u.perturb] = { type: "float32", data: Float32Array.from(rows, (r) => (r.perturb ? 1 : 0)), dims: [B] };
    else if (rows.some((r) => r.perturb)) throw new Error("this model has no perturbed-attention input");
    const { outputs, ms } = await this.rt.run(`${this.name}/unet`, feeds);
    const out = toFloat32(outputs[u.output]!);
    return { outputs: rows.map((_, i) => out.slice(i * n, (i + 1) * n)), ms };
  }

  /** SDXL's text_embeds (each row's own pooled embedding) and time_ids (the same for every row). */
  private addedFeeds(a: AddedSpec, rows: UnetRow[]): Record<string, TensorData> {
    const B = rows.length;
    const textEmbeds = new Float32Array(B * a.pooledSize);
    const timeIds = new Float32Array(B * 6);
    const ids = this.timeIds;
    rows.forEach((r, i) => {
      if (r.pooled?.length !== a.pooledSize) throw new Error(`unet input ${a.textEmbeds} needs ${a.pooledSize} pooled values per row`);
      textEmbeds.set(r.pooled, i * a.pooledSize);
      timeIds.set(ids, i * 6);
    });
    return {
      [a.textEmbeds]: half(a.textEmbedsHalf, textEmbeds, [B, a.pooledSize]),
      [a.timeIds]: half(a.timeIdsHalf, timeIds, [B, 6]),
    };
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

async function textEncoderSpec(rt: SessionRunner, name: string, dir: string, suffix: "" | "_2", xl: boolean, pooled: boolean): Promise<TextEncoderSpec> {
  const what = `text_encoder${suffix}`;
  const tokenizer = loadTokenizer(join(dir, `tokenizer${suffix}`));
  const key = `${name}/${what}`;
  const info = await rt.load(key, join(dir, what, "model.onnx"));
  const ids = find(info.inputs, "input_ids", what);
  if (ids.type !== "int32" && ids.type !== "int64") throw new Error(`${what} input_ids has dtype ${ids.type}`);
  // SDXL conditions on each encoder's penultimate layer (diffusers' hidden_states[-2]).
  const hidden = xl ? penultimateHidden(info.outputs, what) : find(info.outputs, "last_hidden_state", what);
  return {
    key,
    tokenizer,
    ids: { name: ids.name, type: ids.type },
    hidden: hidden.name,
    width: dimOf(hidden, 2),
    pooled: pooled ? find(info.outputs, "text_embeds", what).name : null,
  };
}

/** hidden_states.{N-1} of an encoder exported with hidden_states.0..N (0 = embeddings). */
function penultimateHidden(outputs: ValueInfo[], what: string): ValueInfo {
  const layers = outputs.map((o) => /^hidden_states\.(\d+)$/.exec(o.name)?.[1]).filter((n) => n !== undefined).map(Number);
  const last = Math.max(-1, ...layers);
  if (last < 1) throw new Error(`${what}: no hidden_states.N outputs (SDXL needs the penultimate layer; export with output_hidden_states)`);
  return find(outputs, `hidden_states.${last - 1}`, what);
}

/** SDXL's text_embeds/time_ids, read from the graph; a UNet that wants them needs text_encoder_2's pooled output. */
function addedSpec(info: SessionInfo, encoder2: TextEncoderSpec | null): AddedSpec | null {
  const wants = info.inputs.some((v) => v.name === "text_embeds" || v.name === "time_ids");
  if (!encoder2 && !wants) return null;
  if (!encoder2) throw new Error("unet takes text_embeds/time_ids (SDXL) but the folder has no text_encoder_2");
  const textEmbeds = find(info.inputs, "text_embeds", "unet");
  const timeIds = find(info.inputs, "time_ids", "unet");
  for (const v of [textEmbeds, timeIds]) {
    if (v.type !== "float32" && v.type !== "float16") throw new Error(`unet ${v.name} has dtype ${v.type}`);
  }
  const idCount = dimOf(timeIds, 1);
  if (idCount !== null && idCount !== 6) throw new Error(`unet time_ids takes ${idCount} values; only SDXL's 6 (sizes and crop) are supported`);
  const pooledSize = dimOf(textEmbeds, 1);
  if (!pooledSize) throw new Error("unet text_embeds has no fixed width");
  return {
    textEmbeds: textEmbeds.name,
    textEmbedsHalf: textEmbeds.type === "float16",
    pooledSize,
    timeIds: timeIds.name,
    timeIdsHalf: timeIds.type === "float16",
  };
}

function unetSpec(info: SessionInfo, manifest: Manifest | null, encoder2: TextEncoderSpec | null): UnetSpec {
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
    added: addedSpec(info, encoder2),
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
