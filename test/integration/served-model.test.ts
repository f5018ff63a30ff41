// Served models run their denoising loop inside the runtime thread (the production path):
// same images as the main-thread loop, events in order, cancellation at a step boundary.
import { resolve } from "node:path";
import { afterAll, beforeAll, expect, it } from "vitest";
import { OnnxRuntime, type ServedModel } from "@guidegate/gpu-worker";
import { DiffusionModel } from "../../gpu-worker/src/models/diffusion-model.ts";
import { SessionHost } from "../../gpu-worker/src/onnx/session-host.ts";
import { UnetBatcher } from "../../gpu-worker/src/pipeline/batcher.ts";
import { generate, type GenerateEvent } from "../../gpu-worker/src/pipeline/generate.ts";

const dir = resolve(import.meta.dirname, "../../models/shapes-32");
let rt: OnnxRuntime;
let served: ServedModel;
beforeAll(async () => {
  rt = await OnnxRuntime.start({ provider: "cpu", deviceId: 0, intraOpThreads: 1 });
  served = await rt.serve(dir, { maxBatch: 16, windowMs: 1 });
});
afterAll(() => rt?.close());

const params = {
  prompt: "a small yellow square on a purple background",
  n: 2,
  steps: 8,
  seed: 77,
  guidance: { policy: "cfg", scale: 2 } as const,
  preview_every: 3,
};

it("gives the same images and events as the main-thread loop", async () => {
  const host = new SessionHost({ provider: "cpu", deviceId: 0, intraOpThreads: 1 });
  const model = await DiffusionModel.load(dir, host);
  const local: GenerateEvent[] = [];
  const a = await generate(model, new UnetBatcher(model, 16, 0), params, (e) => void local.push(e));
  const remote: GenerateEvent[] = [];
  const b = await served.generate(params, (e) => void remote.push(e));
  expect(b.nfe).toBe(a.nfe);
  expect(b.images.map((x) => Buffer.from(x).toString("hex"))).toEqual(
    a.images.map((x) => Buffer.from(x).toString("hex")),
  );
  expect(remote.map((e) => `${e.kind}:${e.step}`)).toEqual(local.map((e) => `${e.kind}:${e.step}`));
  expect(served).toMatchObject({ name: "shapes-32", width: 32, height: 32, supportsPag: true, space: "pixel" });
  await host.close();
});

it("records per-step values and truncates guidance as the request asks, as the main-thread loop does", async () => {
  const host = new SessionHost({ provider: "cpu", deviceId: 0, intraOpThreads: 1 });
  const model = await DiffusionModel.load(dir, host);
  const asked = {
    ...params,
    record: { agreement: true, branches: true, guidanceNorm: true },
    truncate: { step: 5, after: "reuse", scale: 2 },
  } as const;
  const a = await generate(model, new UnetBatcher(model, 16, 0), asked, () => {});
  const b = await served.generate(asked, () => {});
  expect(b.nfe).toBe(2 * (8 + 5)); // CFG on steps 0..4, one NFE a step after
  expect(b.images.map((x) => Buffer.from(x).toString("hex"))).toEqual(
    a.images.map((x) => Buffer.from(x).toString("hex")),
  );
  expect(b.recordings).toHaveLength(2);
  const r = b.recordings![0]!;
  expect(r.agreement!.map((x) => x !== null)).toEqual([true, true, true, true, true, false, false, false]);
  expect(r.agreement![0]!.centred).toBeGreaterThan(-1);
  expect(r.branches![4]!.cond).toHaveLength(3 * 32 * 32);
  expect(r.guidanceNorm![4]).toBeGreaterThan(0);
  expect(b.recordings).toEqual(a.recordings);
  await host.close();
});

it("stops at a step boundary when the signal aborts, reporting the NFEs it ran", async () => {
  const abort = new AbortController();
  const steps: number[] = [];
  let at: { step: number; nfe: number } | null = null;
  const res = await served.generate(
    { ...params, steps: 40 },
    (e) => {
      if (e.kind !== "step") return;
      steps.push(e.step);
      if (e.step === 3) abort.abort();
    },
    abort.signal,
    (where) => (at = where),
  );
  expect(at).not.toBeNull();
  expect(res.steps).toBeLessThanOrEqual(at!.step + 1); // the step under way when the cancel reached the loop, no more
  expect(at!.nfe).toBe(at!.step * 2 * 2);
  expect(res.cancelled).toBe(true);
  expect(res.images).toEqual([]);
  expect(res.steps).toBeGreaterThanOrEqual(3);
  expect(res.steps).toBeLessThan(40);
  expect(res.nfe).toBe(res.steps * 2 * 2); // every step that ran is counted, none invented
  expect(steps).toEqual(Array.from({ length: res.steps }, (_, i) => i + 1)); // every event arrived, in order
});

it("cancels the run and rejects when an event handler throws", async () => {
  const seen: number[] = [];
  await expect(
    served.generate({ ...params, steps: 40 }, (e) => {
      if (e.kind === "step") seen.push(e.step);
      if (e.kind === "step" && e.step === 2) throw new Error("client went away");
    }),
  ).rejects.toThrow("client went away");
  expect(Math.max(...seen)).toBeLessThan(40);
});

it("rejects a request the model cannot run", async () => {
  await expect(rt.serve(resolve(dir, "no-such-model"), { maxBatch: 4, windowMs: 0 })).rejects.toThrow();
  const small = await rt.serve(dir, { maxBatch: 4, windowMs: 0 });
  await expect(small.generate({ ...params, scheduler: "nope" as never }, () => {})).rejects.toThrow();
});
