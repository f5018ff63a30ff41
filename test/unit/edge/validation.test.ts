// Validation, error mapping and limits: none of these requests may reach a worker.
import { describe, expect, it } from "vitest";
import { parseTiers } from "../../../edge/src/config.ts";
import type { Ledger } from "../../../edge/src/ledger/types.ts";
import { createMemoryLedger } from "../../../edge/src/ledger/memory.ts";
import { checkJob } from "../../../gpu-worker/src/http/check-job.ts";
import { envelopeOf, testApp } from "./support.ts";

/** What checkJob reads of a loaded shapes-32 model. */
const SHAPES_MODEL = { name: "shapes-32", width: 32, height: 32, supportsPag: true };

const PATH = "/v1/images/generations";

async function expectError(res: Response, status: number, param?: string | null) {
  expect(res.status).toBe(status);
  expect(res.headers.get("content-type")).toMatch(/application\/json/);
  const err = await envelopeOf(res);
  if (param !== undefined) expect(err.param).toBe(param);
  return err;
}

describe("request validation (400)", () => {
  it("malformed JSON and empty bodies", async () => {
    const t = testApp();
    expect((await expectError(await t.post(PATH, "{not json"), 400)).code).toBe("invalid_json");
    expect((await expectError(await t.post(PATH, ""), 400)).code).toBe("invalid_json");
    await expectError(await t.post(PATH, "[1,2]"), 400);
    expect(t.pool.dispatched).toHaveLength(0);
  });

  it("names the field at fault", async () => {
    const t = testApp();
    await expectError(await t.post(PATH, {}), 400, "prompt");
    await expectError(await t.post(PATH, { prompt: "" }), 400, "prompt");
    await expectError(await t.post(PATH, { prompt: "x", n: 0 }), 400, "n");
    await expectError(await t.post(PATH, { prompt: "x", size: "big" }), 400, "size");
    await expectError(await t.post(PATH, { prompt: "x", seed: -1 }), 400, "seed");
    await expectError(await t.post(PATH, { prompt: "x", seed: 2 ** 32 }), 400, "seed");
    await expectError(await t.post(PATH, { prompt: "x", partial_images: 4 }), 400, "partial_images");
    await expectError(
      await t.post(PATH, { prompt: "x", guidance: { policy: "cfg", scale: 99 } }),
      400,
      "guidance.scale",
    );
    await expectError(await t.post(PATH, { prompt: "x", guidance: { policy: "nope" } }), 400, "guidance.policy");
    await expectError(
      await t.post(PATH, { prompt: "x", guidance: { policy: "apg", momentum: 0.5 } }),
      400,
      "guidance.momentum",
    );
    await expectError(await t.post(PATH, { prompt: "x", response_format: "gif" }), 400, "response_format");
    await expectError(await t.post("/v1/jobs", { prompt: "x", steps: 0 }), 400, "steps");
    expect(t.pool.dispatched).toHaveLength(0);
  });

  it("rejects unsupported sizes and unknown models", async () => {
    const t = testApp();
    expect((await expectError(await t.post(PATH, { prompt: "x", size: "64x64" }), 400, "size")).message).toContain(
      "32x32",
    );
    await expectError(await t.post(PATH, { prompt: "x", model: "sdxl" }), 400, "model");
    expect(t.pool.dispatched).toHaveLength(0);
  });

  it("rejects max_nfe below n x steps", async () => {
    const t = testApp();
    const err = await expectError(await t.post(PATH, { prompt: "x", n: 2, steps: 10, max_nfe: 19 }), 400, "max_nfe");
    expect(err.code).toBe("max_nfe_too_low");
    expect(t.pool.dispatched).toHaveLength(0);
  });

  it("cfg_zero_star: zero-init steps cost nothing, so they lower the reservation and the max_nfe floor", async () => {
    const t = testApp();
    const zero = (zero_init_steps: number, extra: Record<string, unknown> = {}) =>
      t.post(PATH, { prompt: "x", n: 2, steps: 10, guidance: { policy: "cfg_zero_star", zero_init_steps }, ...extra });
    expect((await zero(7)).status).toBe(503); // admitted: the recording pool has no capacity
    const job = t.pool.dispatched[0]!;
    expect(job.max_nfe).toBe(2 * 2 * (10 - 7));
    expect(checkJob(new Map([["shapes-32", { model: SHAPES_MODEL }]]) as never, job)).toBeNull(); // the worker takes it
    expect((await zero(7, { max_nfe: 6 })).status).toBe(503); // one cond NFE per image on each of the 3 real steps
    const low = await expectError(await zero(7, { max_nfe: 5 }), 400, "max_nfe");
    expect(low.message).toContain("6");
    // Every step zero-initialised: nothing would be generated; the field at fault is the one the caller sent.
    const all = await expectError(await zero(10), 400, "guidance.zero_init_steps");
    expect(all.message).toMatch(/less than steps/);
    // The same as a rule × schedule pair names the rule's field.
    const pair = { rule: { name: "cfg_zero_star", zero_init_steps: 10 }, schedule: { name: "every" } };
    await expectError(
      await t.post(PATH, { prompt: "x", steps: 10, guidance: pair }),
      400,
      "guidance.rule.zero_init_steps",
    );
    expect(t.pool.dispatched).toHaveLength(2);
  });
});

describe("tier limits (403)", () => {
  it("refuses a policy outside the tier, naming it", async () => {
    const t = testApp();
    for (const policy of ["pag", "cfg", "apg"]) {
      const err = await expectError(
        await t.post(PATH, { prompt: "x", guidance: { policy } }, { tier: "eco" }),
        403,
        "guidance.policy",
      );
      expect(err.type).toBe("permission_error");
      expect(err.message).toContain(`"${policy}"`);
    }
    await expectError(
      await t.post(PATH, { prompt: "x", guidance: { policy: "pag" } }, { tier: "standard" }),
      403,
      "guidance.policy",
    );
    expect(t.pool.dispatched).toHaveLength(0);
  });

  it("refuses steps and n above the tier's limits", async () => {
    const t = testApp();
    await expectError(await t.post(PATH, { prompt: "x", steps: 31 }, { tier: "eco" }), 403, "steps");
    await expectError(await t.post(PATH, { prompt: "x", n: 3 }, { tier: "eco" }), 403, "n");
    await expectError(await t.post(PATH, { prompt: "x", n: 9 }, { tier: "pro" }), 403, "n");
    await expectError(await t.post(PATH, { prompt: "x", steps: 151 }, { tier: "pro" }), 403, "steps");
    expect(t.pool.dispatched).toHaveLength(0);
  });

  it("refuses a policy the model cannot run (400)", async () => {
    const t = testApp({
      config: {
        models: [
          {
            id: "shapes-32",
            sizes: ["32x32"],
            policies: ["none", "cfg", "apg", "ag", "linear_ag", "interval", "cfgpp", "cfg_zero_star", "pag"],
            negative_prompt: true,
          },
          { id: "nopag", sizes: ["64x64"], policies: ["none", "cfg", "apg", "ag"], negative_prompt: true },
        ],
      },
    });
    const err = await expectError(
      await t.post(PATH, { prompt: "x", model: "nopag", size: "64x64", guidance: { policy: "pag" } }),
      400,
      "guidance.policy",
    );
    expect(err.message).toContain("nopag");
    expect(t.pool.dispatched).toHaveLength(0);
  });
});

describe("quota (402)", () => {
  it("answers 402 with x-should-retry: false when the reservation does not fit", async () => {
    const t = testApp({ config: { tiers: parseTiers(JSON.stringify({ eco: { monthly_quota_nfe: 10 } })) } });
    const res = await t.post(PATH, { prompt: "x" }, { tier: "eco" });
    const err = await expectError(res, 402);
    expect(err.type).toBe("insufficient_quota");
    expect(res.headers.get("x-should-retry")).toBe("false");
    expect(t.pool.dispatched).toHaveLength(0);
  });
});

describe("rate limit (429)", () => {
  it("throttles per tenant at the tier's requests_per_minute", async () => {
    const t = testApp({ config: { tiers: parseTiers(JSON.stringify({ eco: { requests_per_minute: 1 } })) } });
    expect((await t.post(PATH, { prompt: "x" }, { tier: "eco" })).status).toBe(503); // admitted; no capacity
    const res = await t.post(PATH, { prompt: "x" }, { tier: "eco" });
    await expectError(res, 429);
    expect(Number(res.headers.get("retry-after"))).toBeGreaterThanOrEqual(1);
    expect(t.pool.dispatched).toHaveLength(1);
    expect((await t.post(PATH, { prompt: "x" }, { tier: "eco", sub: "bob" })).status).toBe(503); // another tenant
  });
});

describe("body limit (413)", () => {
  it("refuses bodies over the limit, with or without Content-Length", async () => {
    const t = testApp({ config: { bodyLimitBytes: 1024 } });
    const big = JSON.stringify({ prompt: "x".repeat(2000) });
    const err = await expectError(await t.post(PATH, big), 413);
    expect(err.type).toBe("request_too_large");
    const chunks = new ReadableStream<Uint8Array>({
      start(c) {
        c.enqueue(new TextEncoder().encode(big.slice(0, 900)));
        c.enqueue(new TextEncoder().encode(big.slice(900)));
        c.close();
      },
    });
    const res = await t.app.request(PATH, {
      method: "POST",
      headers: {
        authorization: `Bearer ${await t.token()}`,
        "content-type": "application/json",
        "transfer-encoding": "chunked",
      },
      body: chunks,
      duplex: "half",
    } as RequestInit);
    await expectError(res, 413);
    expect(t.pool.dispatched).toHaveLength(0);
  });
});

describe("errors", () => {
  it("unknown routes are 404 with the envelope", async () => {
    const t = testApp();
    const err = await expectError(await t.app.request("/nope"), 404);
    expect(err.type).toBe("not_found_error");
    await expectError(await t.get("/v1/nothing-here"), 404);
  });

  it("unexpected failures are a generic 500 with no internals", async () => {
    const broken: Ledger = {
      ...createMemoryLedger(),
      reserve: async () => {
        throw new Error("SQLITE_CORRUPT at /secret/path/ledger.sqlite");
      },
    };
    const t = testApp({ ledger: broken });
    const res = await t.post(PATH, { prompt: "x" });
    const text = await res.text();
    expect(res.status).toBe(500);
    expect(text).not.toMatch(/SQLITE|secret|at \w+ \(/);
    expect(JSON.parse(text)).toEqual({
      error: {
        type: "server_error",
        code: "internal_error",
        message: "An internal error occurred.",
        param: null,
        request_id: res.headers.get("x-request-id"),
      },
    });
    expect(t.pool.dispatched).toHaveLength(0);
  });
});
