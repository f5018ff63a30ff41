// Edits on latent models (tiny-sd with its vae_encoder; tiny-sd-inpaint, SD's 9-channel inpainting
// UNet layout): the source goes through the encoder scaled by the VAE's factor, the keep mask is
// blended at latent resolution, an inpainting UNet is fed mask and masked source instead, and a
// latent model without an encoder refuses image input naming `image`. An observing SessionRunner
// (a real SessionHost underneath, nothing faked) records the UNet's inputs.
import { cpSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";
import type { GuidanceInput, WorkerJob } from "@guidegate/shared";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { checkJob } from "../../gpu-worker/src/http/check-job.ts";
import { DiffusionModel } from "../../gpu-worker/src/models/diffusion-model.ts";
import { SessionHost } from "../../gpu-worker/src/onnx/session-host.ts";
import type { SessionInfo, SessionRunner, TensorData } from "../../gpu-worker/src/onnx/tensors.ts";
import { UnetBatcher } from "../../gpu-worker/src/pipeline/batcher.ts";
import { type GenerateParams, generate } from "../../gpu-worker/src/pipeline/generate.ts";
import { unetTimes } from "../../gpu-worker/src/pipeline/unet-timing.ts";

const fixture = (name: string) => resolve(import.meta.dirname, "../fixtures", name);
const scratch: string[] = [];
const hosts: SessionHost[] = [];
const newHost = () => {
  const h = new SessionHost({ provider: "cpu", deviceId: 0, intraOpThreads: 1 });
  hosts.push(h);
  return h;
};

/** Records every UNet sample input while running the real sessions. */
class Observer implements SessionRunner {
  samples: TensorData[] = [];
  constructor(readonly host: SessionHost) {}
  load(key: string, path: string): Promise<SessionInfo> {
    return this.host.load(key, path);
  }
  run(key: string, feeds: Record<string, TensorData>) {
    if (key.endsWith("/unet")) this.samples.push(feeds.sample!);
    return this.host.run(key, feeds);
  }
}

let host: SessionHost;
let rt: Observer;
beforeAll(() => {
  host = newHost();
  rt = new Observer(host);
});
afterAll(() => {
  for (const dir of scratch) rmSync(dir, { recursive: true, force: true });
  return Promise.all(hosts.map((h) => h.close()));
});

/** A copy of tiny-sd, changed by `edit`. */
function tinySdWith(edit: (dir: string) => void): string {
  const dir = join(mkdtempSync(join(tmpdir(), "gg-edits-latent-")), "tiny-sd");
  scratch.push(dir);
  cpSync(fixture("tiny-sd"), dir, { recursive: true });
  edit(dir);
  return dir;
}

// 64 × 64: red on the left, blue on the right, a green square in the top-left quarter.
const SOURCE = Uint8Array.from({ length: 64 * 64 * 3 }, (_, k) => {
  const p = Math.floor(k / 3);
  const [x, y, c] = [p % 64, Math.floor(p / 64), k % 3];
  if (x < 24 && y < 24) return c === 1 ? 220 : 20;
  return (x < 32 ? [200, 30, 30] : [30, 30, 200])[c]!;
});
// Paint the right half (latent columns 4..7); keep the left.
const KEEP = Uint8Array.from({ length: 64 * 64 }, (_, p) => (p % 64 < 32 ? 1 : 0));
const base = {
  prompt: "a photo of a cat",
  n: 1,
  steps: 6,
  seed: 3,
  guidance: { policy: "cfg", scale: 3 } as GuidanceInput,
};
const run = (model: DiffusionModel, p: GenerateParams) => generate(model, new UnetBatcher(model, 8, 0), p, () => {});
const floats = (t: TensorData) => t.data as Float32Array;

describe("tiny-sd with a vae_encoder", () => {
  let model: DiffusionModel;
  beforeAll(async () => {
    model = await DiffusionModel.load(fixture("tiny-sd"), rt);
  });

  it("encodes the source through vae_encoder, scaled by the VAE's scaling factor", async () => {
    expect(model.editable).toBe(true);
    expect(model.inpaintLayout).toBe(false);
    const x0 = await model.encodeImage(SOURCE);
    expect(x0).toHaveLength(4 * 8 * 8);
    const pixels = Float32Array.from({ length: 3 * 64 * 64 }, (_, k) => {
      const [c, p] = [Math.floor(k / 4096), k % 4096];
      return SOURCE[p * 3 + c]! / 127.5 - 1;
    });
    const raw = await host.run("tiny-sd/vae_encoder", {
      sample: { type: "float32", data: pixels, dims: [1, 3, 64, 64] },
    });
    const latent = floats(raw.outputs.latent_sample!);
    x0.forEach((v, k) => {
      expect(v).toBeCloseTo(latent[k]! * 0.18215, 6);
    });
    const halfScale = tinySdWith((dir) => {
      const cfg = join(dir, "vae_encoder", "config.json");
      writeFileSync(cfg, JSON.stringify({ ...JSON.parse(readFileSync(cfg, "utf8")), scaling_factor: 0.5 }));
    });
    const other = await DiffusionModel.load(halfScale, newHost());
    const y0 = await other.encodeImage(SOURCE);
    y0.forEach((v, k) => {
      expect(v).toBeCloseTo(latent[k]! * 0.5, 6);
    });
  });

  it("img2img: strength 1 is text-to-image, 0.5 runs half the steps from the encoded source", async () => {
    const t2i = await run(model, base);
    const full = await run(model, { ...base, sources: [{ rgb: SOURCE, strength: 1 }] });
    expect(full.nfe).toBe(t2i.nfe);
    expect(Buffer.from(full.images[0]!).equals(Buffer.from(t2i.images[0]!))).toBe(true);
    const half = await run(model, { ...base, sources: [{ rgb: SOURCE, strength: 0.5 }] });
    expect(half.nfe).toBe(3 * 2);
    expect(Buffer.from(half.images[0]!).equals(Buffer.from(t2i.images[0]!))).toBe(false);
    const zero = await run(model, { ...base, sources: [{ rgb: SOURCE, strength: 0 }] });
    expect(zero.nfe).toBe(0);
    expect(Buffer.from(zero.images[0]!)).toEqual(Buffer.from(await model.decode(await model.encodeImage(SOURCE))));
  });

  it("inpainting blends the kept latent cells back and keeps every unmasked pixel exactly", async () => {
    const keptInputs = async (prompt: string) => {
      rt.samples = [];
      const r = await run(model, { ...base, prompt, sources: [{ rgb: SOURCE, strength: 0.8, keep: KEEP }] });
      return { image: r.images[0]!, samples: rt.samples.map(floats) };
    };
    const a = await keptInputs("a photo of a cat");
    const b = await keptInputs("a watercolour of a dog");
    expect(a.samples).toHaveLength(5);
    for (let p = 0; p < 64 * 64; p++)
      if (KEEP[p] === 1) for (let c = 0; c < 3; c++) expect(a.image[p * 3 + c]).toBe(SOURCE[p * 3 + c]);
    expect(a.image.some((v, k) => KEEP[Math.floor(k / 3)] === 0 && v !== SOURCE[k])).toBe(true);
    // After the first step the kept cells follow the source's trajectory whatever the prompt; painted ones do not.
    const cell = (s: Float32Array, kept: boolean) => s.filter((_, k) => k % 8 < 4 === kept); // latent column < 4 is kept
    for (let i = 1; i < a.samples.length; i++) {
      expect(cell(a.samples[i]!.subarray(0, 256), true)).toEqual(cell(b.samples[i]!.subarray(0, 256), true));
      expect(cell(a.samples[i]!.subarray(0, 256), false)).not.toEqual(cell(b.samples[i]!.subarray(0, 256), false));
    }
  });

  it("a latent cell is painted when any of its pixels is", () => {
    const keep = new Uint8Array(64 * 64).fill(1);
    keep[9 * 64 + 17] = 0; // pixel (17, 9): latent cell (2, 1)
    const cells = model.keepAtSample(keep);
    expect(cells.filter((v) => v === 0)).toHaveLength(1);
    expect(cells[1 * 8 + 2]).toBe(0);
  });
});

describe("tiny-sd-inpaint: SD's 9-channel inpainting UNet", () => {
  let model: DiffusionModel;
  beforeAll(async () => {
    model = await DiffusionModel.load(fixture("tiny-sd-inpaint"), rt);
  });

  it("feeds latent, mask and masked-source latent instead of blending", async () => {
    expect(model.inpaintLayout).toBe(true);
    expect(model.sampleShape).toEqual([4, 8, 8]);
    rt.samples = [];
    const r = await run(model, { ...base, sources: [{ rgb: SOURCE, strength: 1, keep: KEEP }] });
    expect(r.nfe).toBe(6 * 2);
    const masked = SOURCE.slice();
    const pixels = new Float32Array(3 * 64 * 64);
    for (let k = 0; k < pixels.length; k++) {
      const [c, p] = [Math.floor(k / 4096), k % 4096];
      pixels[k] = KEEP[p] === 1 ? masked[p * 3 + c]! / 127.5 - 1 : 0;
    }
    const enc = await host.run("tiny-sd-inpaint/vae_encoder", {
      sample: { type: "float32", data: pixels, dims: [1, 3, 64, 64] },
    });
    // This fixture's encoder is newer Optimum's: latent_parameters, the mean's 4 channels first.
    const params = floats(enc.outputs.latent_parameters!);
    expect(params).toHaveLength(8 * 64);
    const maskedLatent = Float32Array.from(params.subarray(0, 4 * 64), (v) => v * 0.18215);
    for (const s of rt.samples) {
      expect(s.dims).toEqual([2, 9, 8, 8]); // cond and uncond rows
      const row = floats(s).subarray(0, 9 * 64);
      const mask = row.subarray(4 * 64, 5 * 64);
      expect(Array.from(mask)).toEqual(Array.from({ length: 64 }, (_, p) => (p % 8 < 4 ? 0 : 1)));
      Array.from(row.subarray(5 * 64)).forEach((v, k) => {
        expect(v).toBeCloseTo(maskedLatent[k]!, 6);
      });
    }
    // The decoded overlay still returns the kept pixels as sent.
    for (let p = 0; p < 64 * 64; p++) if (KEEP[p] === 1) expect(r.images[0]![p * 3]).toBe(SOURCE[p * 3]);
  });

  it("text-to-image paints everything: mask 1, a blank masked source", async () => {
    rt.samples = [];
    await run(model, { ...base, steps: 2 });
    const row = floats(rt.samples[0]!).subarray(0, 9 * 64);
    expect(Array.from(row.subarray(4 * 64, 5 * 64))).toEqual(new Array(64).fill(1));
    const blank = await model.encodeImage(new Uint8Array(64 * 64 * 3).fill(128)); // ≈ 0 in [-1, 1]
    Array.from(row.subarray(5 * 64)).forEach((v, k) => {
      expect(v).toBeCloseTo(blank[k]!, 1);
    });
  });

  it("times raw UNet runs with the same layout (the benches)", async () => {
    const times = await unetTimes(model, { batch: 3, runs: 2, prompt: "a cat" });
    expect(times).toHaveLength(2);
  });
});

describe("a latent model without a vae_encoder", () => {
  it("refuses image input with a 400 naming image, before any NFE", async () => {
    const dir = tinySdWith((d) => rmSync(join(d, "vae_encoder"), { recursive: true }));
    const model = await DiffusionModel.load(dir, newHost());
    expect(model.editable).toBe(false);
    await expect(model.encodeImage(SOURCE)).rejects.toThrow(/vae_encoder/);
    const job = {
      model: model.name,
      width: 64,
      height: 64,
      n: 1,
      steps: 4,
      max_nfe: 100,
      guidance: { policy: "cfg" },
      init_images: ["aGk="],
    } as unknown as WorkerJob;
    const problem = checkJob(new Map([[model.name, { model } as never]]), job);
    expect(problem?.param).toBe("image");
    const edited = checkJob(new Map([[model.name, { model: { ...summary(model), editable: true } } as never]]), job);
    expect(edited).toBeNull();
  });
});

const summary = (m: DiffusionModel) => ({ name: m.name, width: m.width, height: m.height, supportsPag: false });
