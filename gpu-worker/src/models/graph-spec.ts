// Reads a model folder in the Optimum Stable Diffusion layout (tokenizer, text_encoder, unet,
// optional vae_decoder, scheduler; SDXL adds tokenizer_2 and text_encoder_2) plus guidegate.json
// and calibration.json when present, and loads its graphs: input names, dtypes and ranks come from
// the sessions' metadata instead of assuming an exporter version.
import { existsSync, readFileSync } from "node:fs";
import { basename, join } from "node:path";
import { ModelGuidanceDefaultsSchema } from "../guidance/defaults.ts";
import type { ModelGuidanceDefaults } from "../guidance/types.ts";
import type { SessionInfo, SessionRunner, TensorData, ValueInfo } from "../onnx/tensors.ts";
import { parseSchedulerConfig } from "../schedulers/index.ts";
import type { SchedulerConfig } from "../schedulers/types.ts";
import { type Manifest, ManifestSchema } from "./manifest.ts";
import { loadTokenizer, type PromptTokenizer } from "./tokenizer.ts";

export interface TextEncoderSpec {
  key: string; // session key
  tokenizer: PromptTokenizer;
  ids: { name: string; type: "int32" | "int64" };
  hidden: string;
  width: number | null; // features per token, when the graph declares it
  pooled: string | null;
}

/** SDXL's added conditioning inputs. */
export interface AddedSpec {
  textEmbeds: string;
  textEmbedsHalf: boolean;
  pooledSize: number;
  timeIds: string;
  timeIdsHalf: boolean;
}

export interface UnetSpec {
  key: string; // session key
  sample: string;
  timestep: string;
  timestepType: TensorData["type"];
  timestepScalar: boolean; // newest Optimum exports take one timestep for the whole batch
  context: string;
  perturb: string | null;
  added: AddedSpec | null;
  output: string;
  half: boolean;
  /** SD's inpainting layout: the sample input takes latent + mask (1) + masked-image latent channels. */
  inpaint: boolean;
}

export interface VaeSpec {
  key: string; // session key
  input: string;
  output: string;
  scale: number;
  half: boolean;
}

/** Everything a DiffusionModel is made of, read from its folder and its graphs. */
export interface ModelSpec {
  name: string;
  dir: string;
  manifest: Manifest | null;
  schedulerConfig: SchedulerConfig;
  defaults: ModelGuidanceDefaults;
  encoders: TextEncoderSpec[];
  /** diffusers' SDXL force_zeros_for_empty_prompt: an empty negative prompt conditions on zeros. */
  zeroEmptyNegative: boolean;
  unet: UnetSpec;
  /** [channels, height, width] of the denoised tensor (latent for SD, pixels for shapes). */
  sampleShape: [number, number, number];
  contextShape: [number, number];
  vae: VaeSpec | null;
  /** vae_encoder/model.onnx, which a latent model needs to edit images; null without one. */
  vaeEncoder: VaeEncoderSpec | null;
}

/** Optimum's vae_encoder: `sample` in [-1, 1] -> `latent_sample`, or newer exports' `latent_parameters` (mean ‖ logvar). */
export interface VaeEncoderSpec {
  key: string; // session key
  input: string;
  output: string;
  /** The output holds the distribution's mean and log-variance: its first half is the mean. */
  parameters: boolean;
  scale: number;
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

/** The folder's guidegate.json, or null when it has none. */
export function readManifest(dir: string): Manifest | null {
  const manifestPath = join(dir, "guidegate.json");
  return existsSync(manifestPath) ? ManifestSchema.parse(readJson(manifestPath)) : null;
}

/** The folder's calibration.json (what `npm run calibrate` stored), parsed, or no defaults. */
export function readGuidanceDefaults(dir: string): ModelGuidanceDefaults {
  const calibrationPath = join(dir, "calibration.json");
  return ModelGuidanceDefaultsSchema.parse(existsSync(calibrationPath) ? readJson(calibrationPath) : {});
}

/** Reads the folder and loads its sessions into `rt`; `defaults` replaces calibration.json's. */
export async function inspectModel(
  dir: string,
  rt: SessionRunner,
  opts: { latentSize?: number; defaults?: ModelGuidanceDefaults } = {},
): Promise<ModelSpec> {
  const manifest = readManifest(dir);
  const name = manifest?.name ?? basename(dir);
  const schedulerConfig = parseSchedulerConfig(readJson(join(dir, "scheduler", "scheduler_config.json")));
  const defaults = opts.defaults ? ModelGuidanceDefaultsSchema.parse(opts.defaults) : readGuidanceDefaults(dir);
  const xl = existsSync(join(dir, "text_encoder_2", "model.onnx"));
  const encoders = [await textEncoderSpec(rt, name, dir, "", xl, false)];
  if (xl) encoders.push(await textEncoderSpec(rt, name, dir, "_2", xl, true));
  const indexPath = join(dir, "model_index.json");
  const index = (existsSync(indexPath) ? readJson(indexPath) : {}) as { force_zeros_for_empty_prompt?: boolean };

  const unetKey = `${name}/unet`;
  const un = await rt.load(unetKey, join(dir, "unet", "model.onnx"));
  const unet = unetSpec(unetKey, un, manifest, encoders[1] ?? null);
  const sampleInfo = find(un.inputs, unet.sample, "unet");
  const ctxInfo = find(un.inputs, unet.context, "unet");

  const vae = manifest?.space === "pixel" ? null : await vaeDecoderSpec(rt, name, dir);
  const vaeEncoder = vae ? await vaeEncoderSpec(rt, name, dir) : null;
  const unetChannels = dimOf(sampleInfo, 1) ?? manifest?.channels ?? 4;
  // The denoised tensor has the VAE's latent channels; an inpainting UNet takes 2 × those + 1.
  const channels = vae
    ? (dimOf(
        un.outputs.find((o) => o.name === unet.output),
        1,
      ) ?? 4)
    : unetChannels;
  unet.inpaint = vae !== null && unetChannels === 2 * channels + 1;
  const res = manifest?.resolution ?? opts.latentSize ?? 64;
  const side = vae ? (dimOf(sampleInfo, 2) ?? opts.latentSize ?? res / 8) : (dimOf(sampleInfo, 2) ?? res);
  const seq = dimOf(ctxInfo, 1) ?? encoders[0]!.tokenizer.maxLength;
  const bad = encoders.find((e) => e.tokenizer.maxLength !== seq);
  if (bad) throw new Error(`${bad.key}: tokenizer gives ${bad.tokenizer.maxLength} tokens, the unet takes ${seq}`);
  const widths = encoders.map((e) => e.width);
  const dim = dimOf(ctxInfo, 2) ?? (widths.every((w) => w !== null) ? widths.reduce((a, w) => a + w!, 0) : null);
  if (!dim) throw new Error("cannot tell the text embedding width from the graphs");
  return {
    name,
    dir,
    manifest,
    schedulerConfig,
    defaults,
    encoders,
    zeroEmptyNegative: xl && (index.force_zeros_for_empty_prompt ?? true), // diffusers' SDXL default
    unet,
    sampleShape: [channels, side, side],
    contextShape: [seq, dim],
    vae,
    vaeEncoder,
  };
}

/** The folder's VAE config scaling factor (SD 1.x's 0.18215 when absent). */
function vaeScale(dir: string, part: "vae_decoder" | "vae_encoder"): number {
  const cfgPath = join(dir, part, "config.json");
  const cfg = existsSync(cfgPath) ? (readJson(cfgPath) as { scaling_factor?: number }) : {};
  return cfg.scaling_factor ?? 0.18215;
}

async function vaeDecoderSpec(rt: SessionRunner, name: string, dir: string): Promise<VaeSpec | null> {
  const path = join(dir, "vae_decoder", "model.onnx");
  if (!existsSync(path)) return null;
  const key = `${name}/vae_decoder`;
  const vi = await rt.load(key, path);
  const input = find(vi.inputs, "latent_sample", "vae_decoder");
  const scale = vaeScale(dir, "vae_decoder");
  return { key, input: input.name, output: vi.outputs[0]!.name, scale, half: input.type === "float16" };
}

async function vaeEncoderSpec(rt: SessionRunner, name: string, dir: string): Promise<VaeEncoderSpec | null> {
  const path = join(dir, "vae_encoder", "model.onnx");
  if (!existsSync(path)) return null;
  const key = `${name}/vae_encoder`;
  const vi = await rt.load(key, path);
  const input = find(vi.inputs, "sample", "vae_encoder");
  const params = vi.outputs.find((o) => o.name === "latent_parameters");
  const output = params ?? find(vi.outputs, "latent_sample", "vae_encoder");
  const scale = vaeScale(dir, "vae_encoder");
  return { key, input: input.name, output: output.name, parameters: !!params, scale, half: input.type === "float16" };
}

async function textEncoderSpec(
  rt: SessionRunner,
  name: string,
  dir: string,
  suffix: "" | "_2",
  xl: boolean,
  pooled: boolean,
): Promise<TextEncoderSpec> {
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
  const layers = outputs
    .map((o) => /^hidden_states\.(\d+)$/.exec(o.name)?.[1])
    .filter((n) => n !== undefined)
    .map(Number);
  const last = Math.max(-1, ...layers);
  if (last < 1)
    throw new Error(
      `${what}: no hidden_states.N outputs (SDXL needs the penultimate layer; export with output_hidden_states)`,
    );
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
  if (idCount !== null && idCount !== 6)
    throw new Error(`unet time_ids takes ${idCount} values; only SDXL's 6 (sizes and crop) are supported`);
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

function unetSpec(
  key: string,
  info: SessionInfo,
  manifest: Manifest | null,
  encoder2: TextEncoderSpec | null,
): UnetSpec {
  const sample = find(info.inputs, "sample", "unet");
  const ts = find(info.inputs, "timestep", "unet");
  const ctx = find(info.inputs, "encoder_hidden_states", "unet");
  const perturbName = manifest?.capabilities.pag?.input ?? null;
  if (perturbName) find(info.inputs, perturbName, "unet");
  if (!["float32", "float16", "int64", "int32"].includes(ts.type))
    throw new Error(`unet timestep has dtype ${ts.type}`);
  return {
    key,
    sample: sample.name,
    timestep: ts.name,
    timestepType: ts.type as TensorData["type"],
    timestepScalar: ts.shape.length === 0,
    context: ctx.name,
    perturb: perturbName,
    added: addedSpec(info, encoder2),
    output: info.outputs.find((o) => o.name === "out_sample")?.name ?? info.outputs[0]!.name,
    half: sample.type === "float16",
    inpaint: false, // set once the latent channels are known
  };
}
