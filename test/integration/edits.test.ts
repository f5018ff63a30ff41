// Edits on the pixel model (SDEdit by strength, inpainting by a keep mask): strength 1 is
// text-to-image, strength 0 the source, the NFEs are those of the steps that run, and the known
// region of an inpainting ends as the source exactly.
import { resolve } from "node:path";
import { type GuidanceInput, nfeBound, POLICY_NAMES, SCHEDULERS } from "@guidegate/shared";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { DiffusionModel } from "../../gpu-worker/src/models/diffusion-model.ts";
import { SessionHost } from "../../gpu-worker/src/onnx/session-host.ts";
import { UnetBatcher } from "../../gpu-worker/src/pipeline/batcher.ts";
import { type GenerateParams, generate } from "../../gpu-worker/src/pipeline/generate.ts";

let host: SessionHost;
let model: DiffusionModel;
let source: Uint8Array;
beforeAll(async () => {
  host = new SessionHost({ provider: "cpu", deviceId: 0, intraOpThreads: 1 });
  model = await DiffusionModel.load(resolve(import.meta.dirname, "../../models/shapes-32"), host);
  source = (await run({ ...base, prompt: "a large red circle on a blue background", seed: 5 })).images[0]!;
});
afterAll(() => host?.close());

const base = {
  prompt: "a small yellow square on a purple background",
  n: 2,
  steps: 10,
  seed: 77,
  guidance: { policy: "cfg", scale: 2 } as GuidanceInput,
};
const run = (p: GenerateParams) => generate(model, new UnetBatcher(model, 16, 0), p, () => {});
const meanAbsDiff = (a: Uint8Array, b: Uint8Array) => a.reduce((s, v, i) => s + Math.abs(v - b[i]!), 0) / a.length;

describe("img2img by strength", () => {
  it("at strength 1 is text-to-image with the same seed", async () => {
    const t2i = await run(base);
    const edit = await run({ ...base, sources: [{ rgb: source, strength: 1 }] });
    expect(edit.nfe).toBe(t2i.nfe);
    expect(Buffer.from(edit.images[0]!).equals(Buffer.from(t2i.images[0]!))).toBe(true);
  });

  it("at strength 0 returns the source without an NFE, and near 0 stays near it", async () => {
    const zero = await run({ ...base, sources: [{ rgb: source, strength: 0 }] });
    expect(zero.nfe).toBe(0);
    expect(Buffer.from(zero.images[0]!).equals(Buffer.from(source))).toBe(true);
    const low = await run({ ...base, steps: 50, sources: [{ rgb: source, strength: 0.02 }] });
    expect(low.nfe).toBe(2 * 1 * 2); // n × ceil(0.02 × 50) × 2 branches
    expect(meanAbsDiff(low.images[0]!, source)).toBeLessThan(4);
    const t2i = await run(base);
    expect(meanAbsDiff(t2i.images[0]!, source)).toBeGreaterThan(meanAbsDiff(low.images[0]!, source));
  });

  it("bills ceil(strength × steps) per image and branch, the bound the edge reserves", async () => {
    const half = await run({ ...base, sources: [{ rgb: source, strength: 0.5 }] });
    expect(half.nfe).toBe(2 * 5 * 2);
    expect(half.steps).toBe(5);
    expect(2 * nfeBound(base.guidance, 10, 0.5)).toBe(half.nfe);
    const odd = await run({ ...base, n: 1, sources: [{ rgb: source, strength: 0.31 }] });
    expect(odd.nfe).toBe(4 * 2);
    expect(nfeBound(base.guidance, 10, 0.3)).toBe(3 * 2); // 0.3 × 10 is 3.0000000000000004 in floats
  });

  it("runs every preset and scheduler within the edit's bound", async () => {
    for (const policy of POLICY_NAMES) {
      const g = { policy } as GuidanceInput;
      const r = await run({ ...base, n: 1, steps: 8, guidance: g, sources: [{ rgb: source, strength: 0.5 }] });
      expect(r.steps, policy).toBe(4);
      expect(r.nfe, policy).toBeLessThanOrEqual(nfeBound(g, 8, 0.5));
      expect(r.nfe, policy).toBeGreaterThanOrEqual(4);
    }
    for (const scheduler of SCHEDULERS) {
      const r = await run({ ...base, n: 1, scheduler, sources: [{ rgb: source, strength: 0.6 }] });
      expect(r.nfe, scheduler).toBe(6 * 2);
      expect(r.images[0], scheduler).toHaveLength(32 * 32 * 3);
    }
  });
});

describe("inpainting by a keep mask", () => {
  it("keeps every pixel outside the mask exactly, with every scheduler", async () => {
    const keep = Uint8Array.from({ length: 32 * 32 }, (_, p) => (p % 32 < 16 ? 1 : 0)); // paint the right half
    for (const scheduler of SCHEDULERS) {
      for (const strength of [1, 0.6]) {
        const r = await run({ ...base, n: 1, scheduler, sources: [{ rgb: source, strength, keep }] });
        const out = r.images[0]!;
        for (let p = 0; p < 32 * 32; p++) {
          if (keep[p] !== 1) continue;
          for (let c = 0; c < 3; c++)
            expect(out[p * 3 + c], `${scheduler} ${strength} pixel ${p}`).toBe(source[p * 3 + c]);
        }
        const painted = out.filter((v, i) => keep[Math.floor(i / 3)] === 0 && v !== source[i]).length;
        expect(painted, scheduler).toBeGreaterThan(0);
      }
    }
  });
});

it("edits each of several sources n / count times, in order", async () => {
  const other = (await run({ ...base, n: 1, prompt: "a large green cross on a white background", seed: 9 })).images[0]!;
  const r = await run({
    ...base,
    n: 4,
    sources: [
      { rgb: source, strength: 0 },
      { rgb: other, strength: 0 },
    ],
  });
  expect(r.images.map((x) => Buffer.from(x).equals(Buffer.from(source)))).toEqual([true, true, false, false]);
  expect(Buffer.from(r.images[3]!).equals(Buffer.from(other))).toBe(true);
});
