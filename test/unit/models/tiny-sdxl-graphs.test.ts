import { readFileSync } from "node:fs";
import { fileURLToPath } from "node:url";
import * as ort from "onnxruntime-node";
import { afterAll, describe, expect, it } from "vitest";

// test/fixtures/tiny-sdxl, written by infra/model/tiny_sd.py: the SDXL Optimum layout with random weights.
const path = (p: string) => fileURLToPath(new URL(`../../fixtures/tiny-sdxl/${p}`, import.meta.url));
const readJson = (p: string) => JSON.parse(readFileSync(path(p), "utf8"));
const sessions: ort.InferenceSession[] = [];
afterAll(async () => {
  for (const s of sessions) await s.release();
});

async function open(graph: string): Promise<ort.InferenceSession> {
  const s = await ort.InferenceSession.create(path(`${graph}/model.onnx`), { intraOpNumThreads: 1 });
  sessions.push(s);
  return s;
}
const metadata = (list: readonly ort.InferenceSession.ValueMetadata[]) =>
  list.map((m) => (m.isTensor ? { name: m.name, type: m.type, rank: m.shape.length } : { name: m.name }));
const hidden = ["hidden_states.0", "hidden_states.1", "hidden_states.2"].map((name) => ({
  name,
  type: "float32",
  rank: 3,
}));
const filled = (n: number, f: (i: number) => number) => Float32Array.from({ length: n }, (_, i) => f(i));
const maxAbsDiff = (a: Float32Array, b: Float32Array) => a.reduce((m, v, i) => Math.max(m, Math.abs(v - b[i]!)), 0);

describe("tiny-sdxl fixture", () => {
  it("is an SDXL pipeline folder that zeroes empty negative prompts", () => {
    expect(readJson("model_index.json")).toMatchObject({
      _class_name: "StableDiffusionXLPipeline",
      force_zeros_for_empty_prompt: true,
    });
    expect(readJson("tokenizer_2/tokenizer_config.json").pad_token).toBe("!");
    expect(readJson("tokenizer/tokenizer_config.json").pad_token).toBe("<|endoftext|>");
  });

  it("text encoders export every hidden state, the second one projected text_embeds", async () => {
    const one = await open("text_encoder");
    expect(metadata(one.inputMetadata)).toEqual([{ name: "input_ids", type: "int32", rank: 2 }]);
    expect(metadata(one.outputMetadata)).toEqual([
      { name: "last_hidden_state", type: "float32", rank: 3 },
      { name: "pooler_output", type: "float32", rank: 2 },
      ...hidden,
    ]);
    const two = await open("text_encoder_2");
    expect(metadata(two.inputMetadata)).toEqual([{ name: "input_ids", type: "int64", rank: 2 }]);
    expect(metadata(two.outputMetadata)).toEqual([
      { name: "text_embeds", type: "float32", rank: 2 },
      { name: "last_hidden_state", type: "float32", rank: 3 },
      ...hidden,
    ]);
  });

  it("unet reads sample, timestep, context, text_embeds and time_ids, and depends on each", async () => {
    const unet = await open("unet");
    expect(metadata(unet.inputMetadata)).toEqual([
      { name: "sample", type: "float32", rank: 4 },
      { name: "timestep", type: "float32", rank: 1 },
      { name: "encoder_hidden_states", type: "float32", rank: 3 },
      { name: "text_embeds", type: "float32", rank: 2 },
      { name: "time_ids", type: "float32", rank: 2 },
    ]);
    const base = {
      sample: filled(4 * 64, (i) => Math.sin(i)),
      timestep: Float32Array.of(500),
      encoder_hidden_states: filled(77 * 80, (i) => Math.cos(i)),
      text_embeds: filled(40, (i) => Math.sin(i * 3)),
      time_ids: Float32Array.of(64, 64, 0, 0, 64, 64),
    };
    const dims = {
      sample: [1, 4, 8, 8],
      timestep: [1],
      encoder_hidden_states: [1, 77, 80],
      text_embeds: [1, 40],
      time_ids: [1, 6],
    };
    const run = async (over: Partial<typeof base> = {}) => {
      const feeds = { ...base, ...over };
      const inputs = Object.fromEntries(
        Object.entries(feeds).map(([k, v]) => [k, new ort.Tensor("float32", v, dims[k as keyof typeof dims])]),
      );
      return (await unet.run(inputs)).out_sample!.data as Float32Array;
    };
    const ref = await run();
    expect(maxAbsDiff(ref, await run({ text_embeds: new Float32Array(40) }))).toBeGreaterThan(1e-3);
    expect(maxAbsDiff(ref, await run({ time_ids: Float32Array.of(128, 128, 0, 0, 128, 128) }))).toBeGreaterThan(1e-3);
    expect(maxAbsDiff(ref, await run({ encoder_hidden_states: new Float32Array(77 * 80) }))).toBeGreaterThan(1e-3);
  });
});
