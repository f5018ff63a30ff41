// The Stable Diffusion path on tiny random-weight graphs the repo builds itself
// (infra/model/tiny_sd.py): the same loader, batcher and pipeline as the shapes model, through
// the VAE decoder, with int32/int64 input_ids, [B]/scalar timesteps and float16 graphs.
import { resolve } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { DiffusionModel } from "../../gpu-worker/src/models/loader.ts";
import { generate, type GenerateEvent } from "../../gpu-worker/src/pipeline/generate.ts";
import { UnetBatcher } from "../../gpu-worker/src/runtime/batcher.ts";
import { OnnxRuntime } from "../../gpu-worker/src/runtime/runtime.ts";

const fixture = (name: string) => resolve(import.meta.dirname, "../fixtures", name);
let rt: OnnxRuntime;

beforeAll(async () => {
  rt = await OnnxRuntime.start({ provider: "cpu", deviceId: 0, intraOpThreads: 1 });
});
afterAll(() => rt?.close());

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
  });

  it("generates a decoded image with CFG, previews through the latent-to-RGB map, exact NFEs", async () => {
    const batcher = new UnetBatcher(model, 8, 1);
    const events: GenerateEvent[] = [];
    const res = await generate(model, batcher, { prompt: "a photo of a cat", negative_prompt: "blurry", n: 2, steps: 4, scheduler: "euler", seed: 3, guidance: { policy: "cfg", scale: 5 }, preview_every: 2 }, (e) => {
      events.push(e);
    });
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
    const job = (seed: number, steps: number) => generate(model, batcher, { prompt: "a dog", n: 1, steps, scheduler: "ddim", seed, guidance: { policy: "cfg", scale: 3 } }, () => {});
    const [a, b] = await Promise.all([job(1, 6), job(2, 3)]);
    const alone = await generate(model, new UnetBatcher(model, 16, 0), { prompt: "a dog", n: 1, steps: 6, scheduler: "ddim", seed: 1, guidance: { policy: "cfg", scale: 3 } }, () => {});
    expect(a.nfe).toBe(12);
    expect(b.nfe).toBe(6);
    // Batched with another job or alone, the same seed decodes to the same pixels (fp16 rounding may move a level).
    const diff = a.images[0]!.reduce((m, v, i) => Math.max(m, Math.abs(v - alone.images[0]![i]!)), 0);
    expect(diff).toBeLessThanOrEqual(expected.half ? 2 : 1);
  });
});

describe("execution provider", () => {
  it("refuses CUDA with a clear message when the CUDA provider is not installed", async () => {
    await expect(OnnxRuntime.start({ provider: "cuda", deviceId: 0, intraOpThreads: 0 })).rejects.toThrow(/CUDA execution provider requested/);
  });
});
