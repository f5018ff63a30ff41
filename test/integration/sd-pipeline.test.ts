// The Stable Diffusion path on tiny random-weight graphs the repo builds itself
// (infra/model/tiny_sd.py): the same loader, batcher and pipeline as the shapes model, through
// the VAE decoder, with int32/int64 input_ids, [B]/scalar timesteps and float16 graphs, and the
// SDXL layout (two text encoders, text_embeds and time_ids).
import { cpSync, mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";
import * as ort from "onnxruntime-node";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { DiffusionModel } from "../../gpu-worker/src/models/diffusion-model.ts";
import type { UnetRow } from "../../gpu-worker/src/models/unet-feeds.ts";
import { loadTokenizer } from "../../gpu-worker/src/models/tokenizer.ts";
import { generate, type GenerateEvent, type GenerateParams } from "../../gpu-worker/src/pipeline/generate.ts";
import { UnetBatcher } from "../../gpu-worker/src/pipeline/batcher.ts";
import { SessionHost } from "../../gpu-worker/src/onnx/session-host.ts";
import type { SessionRunner, TensorData } from "../../gpu-worker/src/onnx/tensors.ts";
import { OnnxRuntime } from "@guidegate/gpu-worker";

const fixture = (name: string) => resolve(import.meta.dirname, "../fixtures", name);
let rt: SessionHost;
const scratch: string[] = [];

beforeAll(async () => {
  rt = new SessionHost({ provider: "cpu", deviceId: 0, intraOpThreads: 1 });
});
afterAll(() => {
  for (const dir of scratch) rmSync(dir, { recursive: true, force: true });
  return rt?.close();
});

describe.each([
  ["tiny-sd", { ids: "int32", scalarT: false, half: false }],
  ["tiny-sd-fp16", { ids: "int64", scalarT: true, half: true }],
])("%s", (name, expected) => {
  let model: DiffusionModel;
  beforeAll(async () => {
    model = await DiffusionModel.load(fixture(name), rt);
  });

  it("reads the graph interfaces from session metadata", () => {
    expect(model.space).toBe("latent");
    expect(model.sampleShape).toEqual([4, 8, 8]);
    expect(model.contextShape).toEqual([77, 32]);
    expect(model.width).toBe(64);
    expect(model.timestepScalar).toBe(expected.scalarT);
    expect(model.supportsPag).toBe(false);
    expect(model.pooledSize).toBeNull();
    expect(model.zeroEmptyNegative).toBe(false);
  });

  it("generates a decoded image with CFG, previews through the latent-to-RGB map, exact NFEs", async () => {
    const batcher = new UnetBatcher(model, 8, 1);
    const events: GenerateEvent[] = [];
    const res = await generate(
      model,
      batcher,
      {
        prompt: "a photo of a cat",
        negative_prompt: "blurry",
        n: 2,
        steps: 4,
        scheduler: "euler",
        seed: 3,
        guidance: { policy: "cfg", scale: 5 },
        preview_every: 2,
      },
      (e) => {
        events.push(e);
      },
    );
    expect(res.images).toHaveLength(2);
    expect(res.images[0]!.length).toBe(64 * 64 * 3);
    expect(res.nfe).toBe(2 * 2 * 4);
    expect(events.filter((e) => e.kind === "step").map((e) => (e as { nfe: number }).nfe)).toEqual([4, 8, 12, 16]);
    const preview = events.find((e) => e.kind === "preview") as { width: number; rgb: Uint8Array } | undefined;
    expect(preview?.width).toBe(8);
    expect(res.images[0]).not.toEqual(res.images[1]); // image k uses seed + k
  });

  it("batches concurrent jobs at different steps (scalar-timestep graphs are grouped by timestep)", async () => {
    const batcher = new UnetBatcher(model, 16, 5);
    const job = (seed: number, steps: number) =>
      generate(
        model,
        batcher,
        { prompt: "a dog", n: 1, steps, scheduler: "ddim", seed, guidance: { policy: "cfg", scale: 3 } },
        () => {},
      );
    const [a, b] = await Promise.all([job(1, 6), job(2, 3)]);
    const alone = await generate(
      model,
      new UnetBatcher(model, 16, 0),
      { prompt: "a dog", n: 1, steps: 6, scheduler: "ddim", seed: 1, guidance: { policy: "cfg", scale: 3 } },
      () => {},
    );
    expect(a.nfe).toBe(12);
    expect(b.nfe).toBe(6);
    // Batched with another job or alone, the same seed decodes to the same pixels (fp16 rounding may move a level).
    const diff = a.images[0]!.reduce((m, v, i) => Math.max(m, Math.abs(v - alone.images[0]![i]!)), 0);
    expect(diff).toBeLessThanOrEqual(expected.half ? 2 : 1);
  });
});

function maxAbsDiff(a: ArrayLike<number>, b: ArrayLike<number>): number {
  let m = 0;
  for (let i = 0; i < a.length; i++) m = Math.max(m, Math.abs(a[i]! - b[i]!));
  return m;
}
const noise = (seed: number, n: number) =>
  Float32Array.from({ length: n }, (_, i) => Math.sin(seed * 1000 + i * 12.9898) * 0.8);

/** The real sessions, keeping a copy of every UNet feed. */
function recording(inner: SessionRunner, fed: Record<string, TensorData>[]): SessionRunner {
  return {
    load: (key, path) => inner.load(key, path),
    run: (key, feeds) => {
      if (key.endsWith("/unet")) fed.push(structuredClone(feeds));
      return inner.run(key, feeds);
    },
  };
}

/** A copy of tiny-sdxl with some parts taken from elsewhere. */
function sdxlWith(parts: Record<string, string>): string {
  const dir = mkdtempSync(join(tmpdir(), "guidegate-sdxl-"));
  scratch.push(dir);
  cpSync(fixture("tiny-sdxl"), dir, { recursive: true });
  for (const [sub, from] of Object.entries(parts)) {
    rmSync(join(dir, sub), { recursive: true });
    cpSync(from, join(dir, sub), { recursive: true });
  }
  return dir;
}

describe("tiny-sdxl", () => {
  let model: DiffusionModel;
  const XL = fixture("tiny-sdxl");
  beforeAll(async () => {
    model = await DiffusionModel.load(XL, rt);
  });
  const job = (over: Partial<GenerateParams>): GenerateParams => ({
    prompt: "a photo of a cat",
    negative_prompt: "blurry",
    n: 2,
    steps: 4,
    scheduler: "euler",
    seed: 3,
    guidance: { policy: "cfg", scale: 5 },
    ...over,
  });

  it("reads both encoders and the UNet's added conditioning from session metadata", () => {
    expect(model.space).toBe("latent");
    expect(model.sampleShape).toEqual([4, 8, 8]);
    expect(model.contextShape).toEqual([77, 32 + 48]);
    expect(model.pooledSize).toBe(40);
    expect(model.timestepScalar).toBe(false);
    expect(model.zeroEmptyNegative).toBe(true); // model_index.json's force_zeros_for_empty_prompt
    expect([...model.timeIds]).toEqual([64, 64, 0, 0, 64, 64]);
  });

  it("conditions on both encoders' penultimate hidden states and text_encoder_2's text_embeds", async () => {
    const prompt = "a red circle on a blue background";
    const [emb] = await model.encodePrompts([prompt]);
    // The reference runs each exported encoder itself, as diffusers' SDXL pipeline does.
    const reference = async (sub: string, tokenizerDir: string) => {
      const tokenizer = loadTokenizer(join(XL, tokenizerDir));
      const session = await ort.InferenceSession.create(join(XL, sub, "model.onnx"), { intraOpNumThreads: 1 });
      const type = session.inputMetadata[0]!.isTensor ? session.inputMetadata[0]!.type : "int64";
      const ids = tokenizer.encode(prompt);
      const data = type === "int64" ? BigInt64Array.from(ids, (v) => BigInt(v)) : ids;
      const out = await session.run({ input_ids: new ort.Tensor(type as "int32" | "int64", data, [1, 77]) });
      await session.release();
      return { tokenizer, out: Object.fromEntries(Object.entries(out).map(([k, t]) => [k, t.data as Float32Array])) };
    };
    const one = await reference("text_encoder", "tokenizer");
    const two = await reference("text_encoder_2", "tokenizer_2");
    expect(one.tokenizer.padId).toBe(one.tokenizer.eosId);
    expect(two.tokenizer.padId).toBe(0); // "!", like SDXL's bigG tokenizer
    const expected = new Float32Array(77 * 80);
    for (let s = 0; s < 77; s++) {
      expected.set(one.out["hidden_states.1"]!.subarray(s * 32, (s + 1) * 32), s * 80);
      expected.set(two.out["hidden_states.1"]!.subarray(s * 48, (s + 1) * 48), s * 80 + 32);
    }
    expect(maxAbsDiff(emb!.context, expected)).toBeLessThan(1e-5);
    expect(maxAbsDiff(emb!.pooled!, two.out.text_embeds!)).toBeLessThan(1e-5);
    // Not the last layer: the penultimate one really was picked.
    expect(maxAbsDiff(one.out["hidden_states.2"]!, one.out["hidden_states.1"]!)).toBeGreaterThan(1e-3);
  });

  it("an empty negative prompt conditions on zeros (force_zeros_for_empty_prompt); a given one is encoded", async () => {
    const empty = await model.encodeConditioning("a photo of a cat");
    expect(empty.uncond.context.length).toBe(77 * 80);
    expect(empty.uncond.context.every((v) => v === 0)).toBe(true);
    expect(empty.uncond.pooled).toEqual(new Float32Array(40));
    expect(empty.cond.pooled!.some((v) => v !== 0)).toBe(true);
    const given = await model.encodeConditioning("a photo of a cat", "blurry");
    const [blurry] = await model.encodePrompts(["blurry"]);
    expect(given.uncond).toEqual(blurry);
    expect(given.uncond.pooled!.some((v) => v !== 0)).toBe(true);
  });

  it("feeds each row's own text_embeds and the image size as time_ids; text_embeds change the output", async () => {
    const fed: Record<string, TensorData>[] = [];
    const seen = await DiffusionModel.load(XL, recording(rt, fed));
    const [cat, dog] = await seen.encodePrompts(["a photo of a cat", "a photo of a dog"]);
    const sample = noise(1, seen.sampleSize);
    const row = (pooled: Float32Array): UnetRow => ({
      sample,
      timestep: 500,
      context: cat!.context,
      pooled,
      perturb: false,
    });
    const rows = [row(cat!.pooled!), row(dog!.pooled!), row(new Float32Array(40))];
    const out = (await seen.runUnet(rows)).outputs;
    const feeds = fed.at(-1)!;
    expect(feeds.text_embeds!.dims).toEqual([3, 40]);
    expect([...feeds.text_embeds!.data]).toEqual([...cat!.pooled!, ...dog!.pooled!, ...new Float32Array(40)]);
    expect(feeds.time_ids!.dims).toEqual([3, 6]);
    expect([...feeds.time_ids!.data]).toEqual([64, 64, 0, 0, 64, 64, 64, 64, 0, 0, 64, 64, 64, 64, 0, 0, 64, 64]);
    // Same sample, timestep and context: only the pooled embedding differs.
    expect(maxAbsDiff(out[0]!, out[1]!)).toBeGreaterThan(1e-4);
    expect(maxAbsDiff(out[0]!, out[2]!)).toBeGreaterThan(1e-4);
    // Rows of one batch do not leak into each other.
    expect(maxAbsDiff(out[1]!, (await seen.runUnet([rows[1]!])).outputs[0]!)).toBeLessThan(1e-5);
    await expect(seen.runUnet([{ ...rows[0]!, pooled: undefined }])).rejects.toThrow(
      /text_embeds needs 40 pooled values/,
    );
  });

  it("each CFG branch carries its own prompt's pooled embedding through generate and the batcher", async () => {
    const fed: Record<string, TensorData>[] = [];
    const seen = await DiffusionModel.load(XL, recording(rt, fed));
    await generate(seen, new UnetBatcher(seen, 8, 0), job({ n: 1, steps: 1 }), () => {});
    const [cat, blurry] = await seen.encodePrompts(["a photo of a cat", "blurry"]);
    expect(fed).toHaveLength(1);
    const rows = [0, 1].map((i) => [...fed[0]!.text_embeds!.data.slice(i * 40, (i + 1) * 40)]);
    expect(rows).toEqual(expect.arrayContaining([[...cat!.pooled!], [...blurry!.pooled!]]));
  });

  it("generates decoded images with CFG and a negative prompt; same seed, same images; prompts matter", async () => {
    const run = (over: Partial<GenerateParams> = {}) =>
      generate(model, new UnetBatcher(model, 8, 1), job(over), () => {});
    const res = await run();
    expect(res.images).toHaveLength(2);
    expect(res.images[0]!.length).toBe(64 * 64 * 3);
    expect([res.width, res.height]).toEqual([64, 64]);
    expect(res.nfe).toBe(2 * 2 * 4);
    expect(res.images[0]).not.toEqual(res.images[1]);
    expect((await run()).images).toEqual(res.images);
    expect(maxAbsDiff((await run({ prompt: "a photo of a dog" })).images[0]!, res.images[0]!)).toBeGreaterThan(0);
    expect(maxAbsDiff((await run({ negative_prompt: "" })).images[0]!, res.images[0]!)).toBeGreaterThan(0);
  });

  it("batches concurrent jobs with their own prompts and negative prompts; each equals its job run alone", async () => {
    const a = job({ prompt: "a dog", negative_prompt: "", n: 1, steps: 6, scheduler: "ddim", seed: 1 });
    const b = job({ prompt: "a red square", negative_prompt: "blurry", n: 1, steps: 3, scheduler: "ddim", seed: 2 });
    const batcher = new UnetBatcher(model, 16, 200);
    const [ra, rb] = await Promise.all([generate(model, batcher, a, () => {}), generate(model, batcher, b, () => {})]);
    expect(batcher.stats.rows).toBe(2 * 6 + 2 * 3);
    expect(batcher.stats.runs).toBeLessThan(6 + 3); // some runs held rows of both jobs
    for (const [params, batched] of [
      [a, ra],
      [b, rb],
    ] as const) {
      const alone = await generate(model, new UnetBatcher(model, 16, 0), params, () => {});
      expect(maxAbsDiff(batched.images[0]!, alone.images[0]!)).toBeLessThanOrEqual(1);
    }
  });

  it("names what is missing when a graph does not match the SDXL layout", async () => {
    await expect(DiffusionModel.load(sdxlWith({ unet: fixture("tiny-sd/unet") }), rt)).rejects.toThrow(
      /unet: no input or output named "text_embeds"/,
    );
    await expect(
      DiffusionModel.load(sdxlWith({ text_encoder_2: fixture("tiny-sd/text_encoder") }), rt),
    ).rejects.toThrow(/text_encoder_2: no hidden_states\.N outputs/);
    const noSecond = sdxlWith({});
    rmSync(join(noSecond, "text_encoder_2"), { recursive: true });
    await expect(DiffusionModel.load(noSecond, rt)).rejects.toThrow(
      /unet takes text_embeds\/time_ids \(SDXL\) but the folder has no text_encoder_2/,
    );
  });
});

describe("execution provider", () => {
  it("refuses CUDA with a clear message when the CUDA provider is not installed", async () => {
    await expect(OnnxRuntime.start({ provider: "cuda", deviceId: 0, intraOpThreads: 0 })).rejects.toThrow(
      /CUDA execution provider requested/,
    );
  });
});
