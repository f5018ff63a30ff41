// Tier -> policy -> reservation, checked at the pool boundary (which records the job and has no capacity).
import { nfeBound } from "@guidegate/shared";
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { parseTiers } from "../../../edge/src/config.ts";
import { SHAPES_32 } from "../../support/models.ts";
import { resolveGeneration } from "../../../edge/src/tiers/resolve.ts";
import { DEFAULT_TIERS } from "@guidegate/shared";
import { testApp } from "./support.ts";

const PATH = "/v1/images/generations";

describe("policy choice and reservation", () => {
  it("without a frontier, eco's budget (52% of CFG) at 20 steps buys no guidance; voids on 503", async () => {
    const t = testApp();
    const res = await t.post(PATH, { prompt: "x" }, { tier: "eco" });
    expect(res.status).toBe(503);
    const job = t.pool.dispatched[0]!;
    expect(job.guidance).toEqual({ rule: { name: "none" }, schedule: { name: "every" } });
    expect(job.steps).toBe(20);
    expect(job.width).toBe(32);
    expect(job.model).toBe("shapes-32");
    expect(job.max_nfe).toBe(20);
    expect(Number.isInteger(job.seed) && job.seed >= 0 && job.seed <= 0xffffffff).toBe(true);
    const r = await t.ledger.get(job.job_id);
    expect(r?.state).toBe("voided");
    expect(r?.reserved).toBe(job.max_nfe);
    const usage = await (await t.get("/v1/usage", { tier: "eco" })).json();
    expect(usage).toMatchObject({ used_nfe: 0, reserved_nfe: 0, remaining_nfe: 200_000, cost_micro_usd: 0 });
  });

  it("falls back to a policy the model supports when it runs no safe default", () => {
    const model = { ...SHAPES_32, policies: ["apg" as const] };
    const r = resolveGeneration(
      "standard",
      DEFAULT_TIERS.standard!,
      { prompt: "x", n: 1, response_format: "url", output_format: "png", stream: false, partial_images: 0 },
      [model],
      20,
    );
    expect(r.guidance.policy).toBe("apg");
  });

  it("honours the requested policy, seed and steps; reserves n x bound", async () => {
    const t = testApp();
    await t.post(PATH, { prompt: "x", n: 3, steps: 40, seed: 7, guidance: { policy: "pag", scale: 2 } });
    const job = t.pool.dispatched[0]!;
    expect(job.guidance).toMatchObject({ policy: "pag", scale: 2, pag_scale: 3 });
    expect(job.seed).toBe(7);
    expect(job.max_nfe).toBe(3 * 40 * 3);
  });

  it("caps the reservation at max_nfe", async () => {
    const t = testApp();
    await t.post(PATH, { prompt: "x", n: 2, steps: 10, max_nfe: 25, guidance: { policy: "cfg" } });
    expect(t.pool.dispatched[0]!.max_nfe).toBe(25);
    await t.post(PATH, { prompt: "x", n: 1, steps: 10, max_nfe: 500, guidance: { policy: "cfg" } });
    expect(t.pool.dispatched[1]!.max_nfe).toBe(20);
  });

  it("asks the worker for previews when partial_images is set, and b64 when streaming", async () => {
    const t = testApp();
    await t.post(PATH, { prompt: "x", steps: 20, stream: true, partial_images: 3 });
    expect(t.pool.dispatched[0]).toMatchObject({ preview_every: 5, response_format: "b64_json" });
    await t.post(PATH, { prompt: "x", response_format: "b64_json" });
    expect(t.pool.dispatched[1]!.preview_every).toBeUndefined();
  });

  it("tiers come from configuration", () => {
    const tiers = parseTiers(JSON.stringify({ eco: { max_steps: 10 }, team: { ...DEFAULT_TIERS.standard, max_n: 6 } }));
    expect(tiers.eco!.max_steps).toBe(10);
    expect(tiers.eco!.allowed).toEqual(DEFAULT_TIERS.eco!.allowed);
    expect(tiers.team!.max_n).toBe(6);
    expect(() => parseTiers(JSON.stringify({ gold: { max_n: 1 } }))).toThrow();
  });

  it("an override changes only the fields it names: no other field falls back to a schema default", () => {
    const tiers = parseTiers(JSON.stringify({ eco: { monthly_quota_nfe: 200 }, pro: { max_n: 4 } }));
    expect(tiers.eco).toEqual({ ...DEFAULT_TIERS.eco, monthly_quota_nfe: 200 });
    expect(tiers.eco!.requests_per_minute).toBe(60);
    expect(tiers.pro).toEqual({ ...DEFAULT_TIERS.pro, max_n: 4 });
    expect(tiers.pro!.requests_per_minute).toBe(600);
    expect(tiers.standard).toEqual(DEFAULT_TIERS.standard);
  });

  it("any override merges exactly: the fields given, every other field of that tier and every other tier unchanged", () => {
    const names = Object.keys(DEFAULT_TIERS);
    const field = {
      max_steps: fc.integer({ min: 1, max: 1000 }),
      max_n: fc.integer({ min: 1, max: 16 }),
      price_micro_usd_per_nfe: fc.integer({ min: 0, max: 1000 }),
      monthly_quota_nfe: fc.integer({ min: 0, max: 10 ** 9 }),
      requests_per_minute: fc.integer({ min: 1, max: 10_000 }),
      max_concurrent_jobs: fc.integer({ min: 1, max: 64 }),
      max_queued_jobs: fc.integer({ min: 0, max: 1000 }),
      allowed: fc.constant(["none", "ag"]),
    };
    const override = fc.record(field, { requiredKeys: [] });
    fc.assert(
      fc.property(fc.dictionary(fc.constantFrom(...names), override), (overrides) => {
        const tiers = parseTiers(JSON.stringify(overrides));
        for (const name of names) expect(tiers[name]).toEqual({ ...DEFAULT_TIERS[name], ...overrides[name] });
      }),
      { numRuns: 200, seed: 15 },
    );
  });

  it("an override naming a field no tier has is refused by name, not dropped", () => {
    expect(() => parseTiers(JSON.stringify({ eco: { monthly_quota: 200 } }))).toThrow(/eco\.monthly_quota/);
    expect(() => parseTiers(JSON.stringify({ eco: { max_n: "2" } }))).toThrow(/eco\.max_n/);
  });
});

describe("GET /v1/policies and /v1/models", () => {
  it("lists only what the caller's tier may use, with NFE bounds per step", async () => {
    const t = testApp();
    const eco = (await (await t.get("/v1/policies", { tier: "eco" })).json()) as {
      tier: string;
      data: Array<{ policy: string; default: boolean; nfe_per_step_bound: number }>;
    };
    expect(eco.tier).toBe("eco");
    expect(eco.data.map((p) => p.policy).sort()).toEqual(["ag", "interval", "linear_ag", "none"]);
    expect(eco.data.find((p) => p.policy === "none")!.nfe_per_step_bound).toBe(1);
    expect(eco.data.find((p) => p.policy === "ag")!.nfe_per_step_bound).toBe(2);
    // No frontier on this model: eco's safe default at 20 steps is the unguided `none`.
    expect(eco.data.find((p) => p.default)!.policy).toBe("none");
    const pro = (await (await t.get("/v1/policies", { tier: "pro" })).json()) as { data: Array<{ policy: string }> };
    expect(pro.data.map((p) => p.policy)).toContain("pag");
  });

  it("lists models", async () => {
    const t = testApp();
    const body = (await (await t.get("/v1/models")).json()) as {
      object: string;
      data: Array<{ id: string; sizes: string[] }>;
    };
    expect(body.object).toBe("list");
    expect(body.data[0]).toMatchObject({ id: "shapes-32", sizes: ["32x32"] });
  });
});

describe("meta routes", () => {
  it("healthz, openapi.json and docs need no token", async () => {
    const t = testApp();
    expect((await t.app.request("/healthz")).status).toBe(200);
    const doc = (await (await t.app.request("/openapi.json")).json()) as {
      openapi: string;
      paths: Record<string, unknown>;
      components: { schemas: Record<string, { properties?: Record<string, unknown> }> };
    };
    expect(doc.openapi).toBe("3.1.0");
    expect(Object.keys(doc.paths)).toEqual(
      expect.arrayContaining([
        "/v1/images/generations",
        "/v1/jobs",
        "/v1/jobs/{id}/events",
        "/v1/usage",
        "/v1/policies",
      ]),
    );
    expect(doc.components.schemas.GenerationRequest!.properties).toHaveProperty("guidance");
    // An edit's stream is documented under OpenAI's image_edit.* event names.
    const edits = doc.paths["/v1/images/edits"] as {
      post: { responses: { "200": { content: Record<string, { schema: { oneOf: Array<{ $ref: string }> } }> } } };
    };
    const streamed = edits.post.responses["200"].content["text/event-stream"]!.schema.oneOf.map((r) =>
      r.$ref.split("/").at(-1),
    );
    const typeOf = (name: string) =>
      (doc.components.schemas[name]!.properties!.type as { const?: string; enum?: string[] }).const ??
      (doc.components.schemas[name]!.properties!.type as { enum?: string[] }).enum?.[0];
    expect(streamed.map((n) => typeOf(n!))).toEqual(["image_edit.partial_image", "image_edit.completed"]);
    const html = await (await t.app.request("/docs")).text();
    expect(html).toContain("<!doctype html>");
    expect(html).toContain("/v1/images/generations");
  });
});
