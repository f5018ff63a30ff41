import { readFileSync } from "node:fs";
import { fileURLToPath } from "node:url";
import * as ort from "onnxruntime-node";
import { afterAll, describe, expect, it } from "vitest";
import { loadTokenizer } from "../../../gpu-worker/src/models/tokenizer.ts";
import { f16ToF32, f32ToF16 } from "../../../gpu-worker/src/onnx/fp16.ts";

// Fixtures written by infra/model/tiny_sd.py: random weights, real Stable Diffusion names and layout.
const folder = (variant: string, path = "") =>
  fileURLToPath(new URL(`../../fixtures/${variant}/${path}`, import.meta.url));
const readJson = (variant: string, path: string) => JSON.parse(readFileSync(folder(variant, path), "utf8"));

interface Expectation {
  variant: string;
  idsType: "int32" | "int64";
  timestep: { type: "int64" | "float32"; rank: number };
  unetType: "float32" | "float16";
}

const VARIANTS: Expectation[] = [
  // Old diffusers conversion script.
  { variant: "tiny-sd", idsType: "int32", timestep: { type: "int64", rank: 1 }, unetType: "float32" },
  // Newest Optimum export, UNet in half precision.
  { variant: "tiny-sd-fp16", idsType: "int64", timestep: { type: "float32", rank: 0 }, unetType: "float16" },
];

const BATCH = 2;
const HIDDEN = 32;
const sessions: ort.InferenceSession[] = [];
afterAll(async () => {
  for (const session of sessions) await session.release();
});

async function open(variant: string, graph: string): Promise<ort.InferenceSession> {
  const session = await ort.InferenceSession.create(folder(variant, `${graph}/model.onnx`), {
    intraOpNumThreads: 1, // the test machine's two cores are shared
  });
  sessions.push(session);
  return session;
}

function metadata(list: readonly ort.InferenceSession.ValueMetadata[]) {
  return list.map((m) => (m.isTensor ? { name: m.name, type: m.type, rank: m.shape.length } : { name: m.name }));
}

function randomFloats(count: number, seed: number): Float32Array {
  let state = seed;
  return Float32Array.from({ length: count }, () => {
    state = (state * 1103515245 + 12345) % 2147483648;
    return state / 1073741824 - 1;
  });
}

const maxAbsDiff = (a: Float32Array, b: Float32Array) => a.reduce((m, v, i) => Math.max(m, Math.abs(v - b[i]!)), 0);

describe.each(VARIANTS)("tiny SD fixture $variant", ({ variant, idsType, timestep, unetType }) => {
  it("has the Optimum folder layout and SD1.5 configs", () => {
    const index = readJson(variant, "model_index.json");
    expect(index._class_name).toBe("ORTStableDiffusionPipeline");
    expect(index.scheduler).toEqual(["diffusers", "PNDMScheduler"]);
    const scheduler = readJson(variant, "scheduler/scheduler_config.json");
    expect(scheduler).toMatchObject({
      _class_name: "PNDMScheduler",
      beta_schedule: "scaled_linear",
      beta_start: 0.00085,
      beta_end: 0.012,
      num_train_timesteps: 1000,
      steps_offset: 1,
      skip_prk_steps: true,
      set_alpha_to_one: false,
    });
    expect(scheduler).not.toHaveProperty("prediction_type");
    expect(readJson(variant, "vae_decoder/config.json").scaling_factor).toBe(0.18215);
    expect(loadTokenizer(folder(variant, "tokenizer")).maxLength).toBe(77);
  });

  it("text_encoder: input_ids -> last_hidden_state [B,77,32], pooler_output [B,32]", async () => {
    const session = await open(variant, "text_encoder");
    expect(metadata(session.inputMetadata)).toEqual([{ name: "input_ids", type: idsType, rank: 2 }]);
    expect(metadata(session.outputMetadata)).toEqual([
      { name: "last_hidden_state", type: "float32", rank: 3 },
      { name: "pooler_output", type: "float32", rank: 2 },
    ]);
    const tokenizer = loadTokenizer(folder(variant, "tokenizer"));
    const ids = [...tokenizer.encode("a red circle"), ...tokenizer.encode("a blue square")];
    const data = idsType === "int32" ? Int32Array.from(ids) : BigInt64Array.from(ids, BigInt);
    const out = await session.run({ input_ids: new ort.Tensor(idsType, data, [BATCH, 77]) });
    expect(out.last_hidden_state!.dims).toEqual([BATCH, 77, HIDDEN]);
    expect(out.pooler_output!.dims).toEqual([BATCH, HIDDEN]);
    const hidden = out.last_hidden_state!.data as Float32Array;
    expect(hidden.every(Number.isFinite)).toBe(true);
    expect(maxAbsDiff(hidden.subarray(0, 77 * HIDDEN), hidden.subarray(77 * HIDDEN))).toBeGreaterThan(0);
  });

  it(`unet: sample/encoder_hidden_states ${unetType}, timestep ${timestep.type} rank ${timestep.rank}`, async () => {
    const session = await open(variant, "unet");
    expect(metadata(session.inputMetadata)).toEqual([
      { name: "sample", type: unetType, rank: 4 },
      { name: "timestep", ...timestep },
      { name: "encoder_hidden_states", type: unetType, rank: 3 },
    ]);
    expect(metadata(session.outputMetadata)).toEqual([{ name: "out_sample", type: unetType, rank: 4 }]);

    const floats = (values: Float32Array, dims: number[]) =>
      unetType === "float16"
        ? new ort.Tensor("float16", f32ToF16(values), dims)
        : new ort.Tensor("float32", values, dims);
    const timestepTensor = (t: number) =>
      timestep.type === "int64"
        ? new ort.Tensor(
            "int64",
            BigInt64Array.from({ length: BATCH }, () => BigInt(t)),
            [BATCH],
          )
        : new ort.Tensor("float32", Float32Array.of(t), []);
    const sample = randomFloats(BATCH * 4 * 8 * 8, 1);
    const context = randomFloats(BATCH * 77 * HIDDEN, 2);
    const run = async (s: Float32Array, t: number, c: Float32Array) => {
      const out = await session.run({
        sample: floats(s, [BATCH, 4, 8, 8]),
        timestep: timestepTensor(t),
        encoder_hidden_states: floats(c, [BATCH, 77, HIDDEN]),
      });
      const result = out.out_sample!;
      expect(result.type).toBe(unetType);
      expect(result.dims).toEqual([BATCH, 4, 8, 8]);
      return unetType === "float16" ? f16ToF32(result.data as Uint16Array) : (result.data as Float32Array);
    };
    const base = await run(sample, 981, context);
    expect(base.every(Number.isFinite)).toBe(true);
    // The output depends on every input.
    expect(maxAbsDiff(base, await run(randomFloats(sample.length, 3), 981, context))).toBeGreaterThan(1e-3);
    expect(maxAbsDiff(base, await run(sample, 1, context))).toBeGreaterThan(1e-3);
    expect(maxAbsDiff(base, await run(sample, 981, randomFloats(context.length, 4)))).toBeGreaterThan(1e-3);
  });

  it("vae_decoder: latent_sample [B,4,8,8] -> sample [B,3,64,64] in [-1,1]", async () => {
    const session = await open(variant, "vae_decoder");
    expect(metadata(session.inputMetadata)).toEqual([{ name: "latent_sample", type: "float32", rank: 4 }]);
    expect(metadata(session.outputMetadata)).toEqual([{ name: "sample", type: "float32", rank: 4 }]);
    const out = await session.run({
      latent_sample: new ort.Tensor("float32", randomFloats(BATCH * 4 * 8 * 8, 5), [BATCH, 4, 8, 8]),
    });
    expect(out.sample!.dims).toEqual([BATCH, 3, 64, 64]);
    expect((out.sample!.data as Float32Array).every((v) => v >= -1 && v <= 1)).toBe(true);
  });
});
