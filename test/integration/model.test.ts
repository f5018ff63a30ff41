// The embedded model's graphs under onnxruntime-node on CPU: per-sample timesteps batch
// exactly, the PAG input touches only flagged samples, inference is deterministic.
import { resolve } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { DiffusionModel } from "../../gpu-worker/src/models/diffusion-model.ts";
import type { UnetRow } from "../../gpu-worker/src/models/unet-feeds.ts";
import { SessionHost } from "../../gpu-worker/src/onnx/session-host.ts";

let rt: SessionHost;
let model: DiffusionModel;

beforeAll(async () => {
  rt = new SessionHost({ provider: "cpu", deviceId: 0, intraOpThreads: 0 });
  model = await DiffusionModel.load(resolve(import.meta.dirname, "../../models/shapes-32"), rt);
});
afterAll(() => rt?.close());

const maxAbsDiff = (a: Float32Array, b: Float32Array) => a.reduce((m, v, i) => Math.max(m, Math.abs(v - b[i]!)), 0);
const noise = (seed: number, n: number) =>
  Float32Array.from({ length: n }, (_, i) => Math.sin(seed * 1000 + i * 12.9898) * 0.8);

describe("shapes-32 ONNX graphs", () => {
  it("loads with the Optimum layout and reports a pixel model with PAG", () => {
    expect(model.space).toBe("pixel");
    expect(model.sampleShape).toEqual([3, 32, 32]);
    expect(model.supportsPag).toBe(true);
    expect(model.timestepScalar).toBe(false);
  });

  it("gives the same outputs for a batch with different timesteps as for separate runs", async () => {
    const [cond, uncond] = await model.encodeText(["a large red circle on a blue background", ""]);
    const rows: UnetRow[] = [
      { sample: noise(1, 3072), timestep: 999, context: cond!, perturb: false },
      { sample: noise(2, 3072), timestep: 500, context: uncond!, perturb: false },
      { sample: noise(3, 3072), timestep: 20, context: cond!, perturb: false },
      { sample: noise(4, 3072), timestep: 731, context: cond!, perturb: true },
    ];
    const batched = (await model.runUnet(rows)).outputs;
    for (const [i, row] of rows.entries()) {
      const alone = (await model.runUnet([row])).outputs[0]!;
      expect(maxAbsDiff(batched[i]!, alone)).toBeLessThanOrEqual(1e-4);
    }
  });

  it("changes only the flagged samples through the perturbation input", async () => {
    const [cond] = await model.encodeText(["a small green square on a white background"]);
    const base = (p: boolean[]) =>
      p.map((perturb, i) => ({ sample: noise(10 + i, 3072), timestep: 600, context: cond!, perturb }));
    const plain = (await model.runUnet(base([false, false, false]))).outputs;
    const mixed = (await model.runUnet(base([false, true, false]))).outputs;
    expect(maxAbsDiff(plain[0]!, mixed[0]!)).toBeLessThanOrEqual(1e-5);
    expect(maxAbsDiff(plain[2]!, mixed[2]!)).toBeLessThanOrEqual(1e-5);
    expect(maxAbsDiff(plain[1]!, mixed[1]!)).toBeGreaterThan(1e-3);
  });

  it("is deterministic: the same inputs give bit-identical outputs", async () => {
    const [cond] = await model.encodeText(["a large orange cross on a black background"]);
    const row = { sample: noise(7, 3072), timestep: 400, context: cond!, perturb: false };
    const a = (await model.runUnet([row])).outputs[0]!;
    const b = (await model.runUnet([{ ...row, sample: noise(7, 3072) }])).outputs[0]!;
    expect(maxAbsDiff(a, b)).toBe(0);
  });

  it("encodes prompts into distinct embeddings and the empty prompt for the unconditional branch", async () => {
    const [a, b, empty] = await model.encodeText([
      "a large red circle on a blue background",
      "a large red circle on a green background",
      "",
    ]);
    expect(a!.length).toBe(16 * 64);
    expect(maxAbsDiff(a!, b!)).toBeGreaterThan(1e-3);
    expect(maxAbsDiff(a!, empty!)).toBeGreaterThan(1e-3);
  });

  it("keeps every job's conditioning while concurrent jobs churn the prompt cache past its size", async () => {
    // The empty prompt is cached first; 300 distinct prompts then encode at once, evicting it
    // from the 256-entry cache before most of them resolve (found in a 32-way calibration run).
    const [empty] = await model.encodeText([""]);
    await model.encodeConditioning("a small red circle on a blue background");
    const jobs = await Promise.all(
      Array.from({ length: 300 }, (_, i) => model.encodeConditioning(`a small red circle number ${i}`)),
    );
    for (const j of jobs) expect(maxAbsDiff(j.uncond.context, empty!)).toBe(0);
  });
});
