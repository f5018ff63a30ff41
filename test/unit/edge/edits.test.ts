// POST /v1/images/edits through the official openai SDK (multipart, with and without streaming),
// the same inputs as base64 JSON on POST /v1/jobs, and every bad image, mask and strength refused
// with a 400 naming the field before anything is reserved.
import type { JobEvent, WorkerJob } from "@guidegate/shared";
import OpenAI, { toFile } from "openai";
import sharp from "sharp";
import { beforeAll, describe, expect, it } from "vitest";
import { createMemoryLedger } from "../../../edge/src/ledger/memory.ts";
import type { Ledger } from "../../../edge/src/ledger/types.ts";
import { envelopeOf, recordingPool, testApp } from "./support.ts";

const png = (w: number, h: number, channels: 3 | 4, alpha = 255) =>
  sharp({ create: { width: w, height: h, channels, background: { r: 200, g: 30, b: 30, alpha: alpha / 255 } } })
    .png()
    .toBuffer();

let source: Buffer;
let mask: Buffer;
beforeAll(async () => {
  source = await png(64, 64, 3);
  mask = await png(64, 64, 4, 0);
});

function answering() {
  return recordingPool(async (job: WorkerJob) => ({
    worker: "http://w1",
    close() {},
    events: (async function* (): AsyncGenerator<JobEvent> {
      yield { event: "started", policy: "cfg", steps: job.steps, seed: job.seed, max_nfe: job.max_nfe };
      yield { event: "preview", step: 2, index: 0, b64_png: source.toString("base64"), width: 32, height: 32 };
      yield {
        event: "completed",
        images: [{ b64_json: source.toString("base64"), width: 32, height: 32 }],
        seed: job.seed,
        usage: { nfe: job.max_nfe },
      };
    })(),
  }));
}

async function sdk(t: ReturnType<typeof testApp>) {
  return new OpenAI({
    apiKey: await t.token(),
    baseURL: "http://gateway.test/v1",
    maxRetries: 0,
    fetch: async (input: string | URL | Request, init?: RequestInit) => t.app.fetch(new Request(input, init)),
  });
}

// Our fields ride along in the same form; the SDK's types only know OpenAI's.
const ours = { strength: 0.5, steps: 10, seed: 3, guidance: JSON.stringify({ policy: "cfg", scale: 2 }) } as object;

describe("the openai SDK's images.edit", () => {
  it("edits with a mask, reserving ceil(strength × steps) per image and branch", async () => {
    const t = testApp({ pool: answering() });
    const client = await sdk(t);
    const res = await client.images.edit({
      model: "shapes-32",
      prompt: "a blue square",
      image: await toFile(source, "source.png", { type: "image/png" }),
      mask: await toFile(mask, "mask.png", { type: "image/png" }),
      response_format: "b64_json",
      ...ours,
    });
    expect(res.data?.[0]?.b64_json).toBe(source.toString("base64"));
    const job = t.pool.dispatched[0]!;
    expect(job).toMatchObject({ strength: 0.5, steps: 10, seed: 3, max_nfe: 5 * 2, n: 1 });
    expect(job.init_images).toEqual([source.toString("base64")]);
    expect(job.mask).toBe(mask.toString("base64"));
  });

  it("streams partial and completed images", async () => {
    const t = testApp({ pool: answering() });
    const client = await sdk(t);
    const stream = await client.images.edit({
      model: "shapes-32",
      prompt: "a blue square",
      image: [
        await toFile(source, "a.png", { type: "image/png" }),
        await toFile(source, "b.png", { type: "image/png" }),
      ],
      stream: true,
      partial_images: 1,
      ...ours,
    });
    const types: string[] = [];
    for await (const e of stream) types.push(e.type);
    expect(types).toEqual(["image_edit.partial_image", "image_edit.completed"]);
    const job = t.pool.dispatched[0]!;
    expect(job.init_images).toHaveLength(2);
    expect(job).toMatchObject({ n: 2, max_nfe: 2 * 5 * 2 });
  });
});

describe("an edit's bill", () => {
  /** A memory ledger that also records what each job reserved and settled. */
  function observedLedger() {
    const inner = createMemoryLedger();
    const reserved: number[] = [];
    const settled: number[] = [];
    const ledger: Ledger = {
      ...inner,
      reserve: (tenant, jobId, nfe, quota, now, terms) => {
        reserved.push(nfe);
        return inner.reserve(tenant, jobId, nfe, quota, now, terms);
      },
      settle: (jobId, spent, now) => {
        settled.push(spent);
        return inner.settle(jobId, spent, now);
      },
    };
    return { ledger, reserved, settled };
  }

  it.each([10, 9, 30])(
    "at strength 0.5 is half a generation from text (within a step's rounding), reserved as dispatched (%i steps)",
    async (steps) => {
      const { ledger, reserved, settled } = observedLedger();
      const t = testApp({ pool: answering(), ledger });
      const client = await sdk(t);
      const fields = { steps, seed: 3, guidance: JSON.stringify({ policy: "cfg", scale: 2 }) };
      await client.images.generate({
        model: "shapes-32",
        prompt: "a blue square",
        response_format: "b64_json",
        ...fields,
        guidance: { policy: "cfg", scale: 2 },
      } as never);
      await client.images.edit({
        model: "shapes-32",
        prompt: "a blue square",
        image: await toFile(source, "source.png", { type: "image/png" }),
        response_format: "b64_json",
        ...({ ...fields, strength: 0.5 } as object),
      });
      const [fromText, edit] = t.pool.dispatched;
      expect(reserved).toEqual([fromText!.max_nfe, edit!.max_nfe]);
      expect(settled).toEqual(reserved); // the stand-in pool spends exactly the reservation
      expect(fromText!.max_nfe).toBe(2 * steps);
      expect(edit!.max_nfe).toBe(2 * Math.ceil(steps / 2));
      expect(Math.abs(edit!.max_nfe - fromText!.max_nfe / 2)).toBeLessThanOrEqual(1); // one branch of a rounded step
    },
  );
});

describe("the jobs API takes the same inputs as base64 JSON", () => {
  it("dispatches an edit job", async () => {
    const t = testApp({ pool: answering() });
    const res = await t.post("/v1/jobs", { prompt: "x", image: source.toString("base64"), strength: 0.3, steps: 10 });
    expect(res.status).toBe(202);
    expect(t.pool.dispatched[0]).toMatchObject({ strength: 0.3, init_images: [source.toString("base64")] });
  });
});

describe("bad edit inputs: a 400 naming the field, nothing dispatched", () => {
  const form = (fields: Record<string, string | Blob>) => {
    const f = new FormData();
    for (const [k, v] of Object.entries(fields)) f.append(k, v);
    return f;
  };
  const file = (b: Buffer, type = "image/png") => new Blob([new Uint8Array(b)], { type });
  const cases: Array<[string, () => Promise<Record<string, string | Blob>>, string, string]> = [
    ["not an image", async () => ({ image: file(Buffer.from("hello")) }), "image", "invalid_image"],
    ["a URL in place of the file", async () => ({ image: "https://example.com/x.png" }), "image", "invalid_image"],
    ["too many pixels", async () => ({ image: file(await png(5000, 4000, 3)) }), "image", "image_too_large"],
    [
      "a mask of another size",
      async () => ({ image: file(source), mask: file(await png(32, 32, 4, 0)) }),
      "mask",
      "mask_mismatch",
    ],
    [
      "a mask without alpha",
      async () => ({ image: file(source), mask: file(await png(64, 64, 3)) }),
      "mask",
      "invalid_mask",
    ],
    ["strength above 1", async () => ({ image: file(source), strength: "1.5" }), "strength", "invalid_request"],
    [
      "strength 0 (nothing would run)",
      async () => ({ image: file(source), strength: "0" }),
      "strength",
      "invalid_value",
    ],
    ["strength not a number", async () => ({ image: file(source), strength: "lots" }), "strength", "invalid_request"],
    ["no image", async () => ({}), "image", "missing_image"],
  ];
  for (const [name, fields, param, code] of cases) {
    it(name, async () => {
      const t = testApp({ pool: answering() });
      const body = form({ prompt: "x", model: "shapes-32", ...(await fields()) });
      const res = await t.app.request("/v1/images/edits", {
        method: "POST",
        body,
        headers: { authorization: `Bearer ${await t.token()}` },
      });
      expect(res.status).toBe(400);
      const e = await envelopeOf(res);
      expect(e.param).toBe(param);
      if (code !== "invalid_request") expect(e.code).toBe(code);
      expect(t.pool.dispatched).toHaveLength(0);
    });
  }

  it("an image over the byte limit", async () => {
    const t = testApp({ pool: answering(), config: { editImageBytes: 100 } });
    const res = await t.post("/v1/jobs", { prompt: "x", image: source.toString("base64") });
    expect(res.status).toBe(400);
    expect(await envelopeOf(res)).toMatchObject({ code: "image_too_large", param: "image" });
  });

  it("an image sent to generations, a mask without an image", async () => {
    const t = testApp({ pool: answering() });
    const gen = await t.post("/v1/images/generations", { prompt: "x", image: source.toString("base64") });
    expect(await envelopeOf(gen)).toMatchObject({ param: "image" });
    const job = await t.post("/v1/jobs", { prompt: "x", mask: mask.toString("base64") });
    expect(job.status).toBe(400);
    expect(await envelopeOf(job)).toMatchObject({ code: "missing_image", param: "image" });
  });
});
