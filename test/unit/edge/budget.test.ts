// Tiers as budgets (issue 16, item 4): a request without guidance resolves to the best frontier point
// under the tier's NFE ceiling and its own max_nfe / steps; without a fitting point, the safe default.
import {
  DEFAULT_TIERS,
  type FrontierEntry,
  type GenerationRequest,
  ModelInfoSchema,
  nfeBound,
} from "@guidegate/shared";
import { describe, expect, it } from "vitest";
import { readFrontier } from "@guidegate/gpu-worker";
import { DEFAULT_MODEL } from "@guidegate/stack";
import { adherenceLowerBound, safeDefault } from "../../../edge/src/tiers/budget.ts";
import { resolveGeneration } from "../../../edge/src/tiers/resolve.ts";
import { SHAPES_32 } from "../../support/models.ts";
import { testApp } from "./support.ts";

const every = { name: "every" } as const;
const cfgpp = { name: "cfgpp" } as const;
const pt = (rule: object, schedule: object, nfe: number, adherence: number, prompts = 64) => ({
  rule,
  schedule,
  nfe_per_image: nfe,
  ssim: 0.99,
  psnr_db: 40,
  adherence,
  prompts,
});
const FRONTIER: FrontierEntry[] = [
  { scheduler: "ddim", steps: 10, points: [pt(cfgpp, every, 20, 0.93)] } as never,
  { scheduler: "ddim", steps: 12, points: [pt(cfgpp, every, 24, 0.95)] } as never,
  {
    scheduler: "ddim",
    steps: 20,
    points: [
      pt({ name: "cfg", scale: 2 }, { name: "first_k", k: 4, after: "reuse" }, 24, 0.94),
      // ag_latch measured 26 NFE on average, but may never latch: it costs its bound, 40.
      pt({ name: "cfg", scale: 2 }, { name: "ag_latch", threshold: 0.99, after_latch: "reuse" }, 26, 0.96),
      pt(cfgpp, every, 40, 0.97),
    ],
  } as never,
];
const MODEL = ModelInfoSchema.parse({ ...SHAPES_32, frontier: FRONTIER });
const req = (over: Partial<GenerationRequest> = {}): GenerationRequest => ({
  prompt: "x",
  n: 1,
  response_format: "url",
  output_format: "png",
  stream: false,
  partial_images: 0,
  ...over,
});
const resolve = (tier: string, over: Partial<GenerationRequest> = {}, model = MODEL) =>
  resolveGeneration(tier, DEFAULT_TIERS[tier]!, req(over), [model], 20);

describe("a tier's budget resolves against the frontier", () => {
  it("each tier gets the best point under its ceiling, steps and scheduler included", () => {
    const eco = resolve("eco"); // 52% of 40 = 20.8 NFEs per image
    expect(eco).toMatchObject({ steps: 10, scheduler: "ddim", reserve: 20 });
    expect(eco.guidance).toEqual({ rule: cfgpp, schedule: every });
    expect(resolve("standard")).toMatchObject({ steps: 12, reserve: 24 }); // 60%: 24
    // pro (100%: 40): ag_latch's 0.96 is cheaper on average, but its bound is 40 and 0.97 wins.
    expect(resolve("pro")).toMatchObject({ steps: 20, reserve: 40, guidance: { rule: cfgpp } });
  });

  it("reserves the point's worst-case bound, which never exceeds the budget", () => {
    for (const tier of ["eco", "standard", "pro"]) {
      const r = resolve(tier, { n: 2 }); // eco's max_n is 2
      expect(r.reserve).toBe(2 * nfeBound(r.guidance, r.steps));
      expect(r.reserve / 2).toBeLessThanOrEqual(DEFAULT_TIERS[tier]!.budget.nfe_fraction_max * 40);
    }
  });

  it("a request's max_nfe lowers the ceiling per image; its steps pick the entry", () => {
    expect(resolve("pro", { max_nfe: 25 })).toMatchObject({ steps: 12, reserve: 24 });
    expect(resolve("pro", { n: 2, max_nfe: 45 })).toMatchObject({ steps: 10, reserve: 40 });
    const at20 = resolve("standard", { steps: 20 });
    expect(at20.guidance).toMatchObject({ schedule: { name: "first_k", k: 4 } });
    expect(at20.reserve).toBe(24);
  });

  it("steps the frontier was not measured at get the safe default at those steps", () => {
    const r = resolve("standard", { steps: 16 }); // 24 NFEs: CFG on the first 8 of 16 steps
    expect(r.point).toBeUndefined();
    expect(r.guidance).toMatchObject({ rule: { name: "cfg" }, schedule: { name: "first_k", k: 8 } });
    expect(r.reserve).toBe(24);
  });

  it("a point measured on few prompts must beat a well-measured one by more", () => {
    expect(adherenceLowerBound(30 / 32, 32)).toBeLessThan(adherenceLowerBound(0.92, 256));
    const few = ModelInfoSchema.parse({
      ...SHAPES_32,
      frontier: [
        { scheduler: "ddim", steps: 20, points: [pt({ name: "cfg" }, { name: "first_k", k: 4 }, 24, 0.94, 32)] },
        { scheduler: "ddim", steps: 12, points: [pt(cfgpp, every, 24, 0.92, 256)] },
      ],
    });
    expect(resolve("standard", {}, few).steps).toBe(12);
  });

  it("a quality floor buys the cheapest point that reaches it", () => {
    const tier = { ...DEFAULT_TIERS.pro!, budget: { nfe_fraction_max: 1, quality_floor: 0.85 } };
    const r = resolveGeneration("pro", tier, req(), [MODEL], 20);
    expect(r).toMatchObject({ steps: 10, reserve: 20 });
  });

  it("only points the model runs; the request's scheduler filters entries", () => {
    const noCfgpp = ModelInfoSchema.parse({ ...MODEL, policies: ["none", "cfg", "ag"] });
    expect(resolve("standard", {}, noCfgpp).guidance).toMatchObject({ schedule: { name: "first_k" } });
    const euler = resolve("pro", { scheduler: "euler" });
    expect(euler.point).toBeUndefined();
    expect(euler).toMatchObject({ scheduler: "euler", steps: 20, guidance: { rule: { name: "cfg" } } });
  });

  it("explicit guidance still wins where the tier allows it, as before", () => {
    const r = resolve("standard", { guidance: { policy: "ag", threshold: 0.99 } as never });
    expect(r.guidance).toMatchObject({ policy: "ag", threshold: 0.99 });
    expect(r.steps).toBe(20);
    expect(r.scheduler).toBeUndefined();
    expect(() => resolve("eco", { guidance: { policy: "cfgpp" } as never })).toThrow(/not available in the eco tier/);
  });
});

describe("the safe default (no frontier point fits)", () => {
  it("CFG every step when 2 NFEs a step fit, else on the first k steps, else none", () => {
    expect(safeDefault(SHAPES_32, 20, 40)).toMatchObject({ rule: { name: "cfg" }, schedule: every });
    expect(safeDefault(SHAPES_32, 20, 24)).toMatchObject({ schedule: { name: "first_k", k: 4 } });
    expect(safeDefault(SHAPES_32, 20, 20.8)).toEqual({ rule: { name: "none" }, schedule: every });
  });
});

describe("the stored shapes-32 frontier", () => {
  it("buys CFG++ at fewer steps for eco and standard, and at 20 steps for pro", () => {
    const model = ModelInfoSchema.parse({ ...SHAPES_32, frontier: readFrontier(DEFAULT_MODEL) });
    const got = ["eco", "standard", "pro"].map((t) => {
      const r = resolve(t, {}, model);
      return [r.guidance.policy === undefined ? r.guidance.rule.name : r.guidance.policy, r.steps, r.reserve];
    });
    expect(got).toEqual([
      ["cfgpp", 10, 20],
      ["cfgpp", 12, 24],
      ["cfgpp", 20, 40],
    ]);
  });
});

describe("GET /v1/models/{id}/guidance", () => {
  it("shows the frontier with its figures and what each tier resolves to", async () => {
    const t = testApp({ config: { models: [MODEL] } });
    const res = await t.get("/v1/models/shapes-32/guidance", { tier: "eco" });
    expect(res.status).toBe(200);
    const body = (await res.json()) as {
      reference_nfe_per_image: number;
      frontier: Array<{ steps: number; nfe_per_image_bound: number; measured_on: object }>;
      tiers: Array<{ tier: string; budget: { nfe_per_image_max: number }; resolves_to: { steps: number } }>;
    };
    expect(body.reference_nfe_per_image).toBe(40);
    expect(body.frontier).toHaveLength(5);
    expect(body.frontier.find((p) => p.nfe_per_image_bound === 40 && p.steps === 20)).toBeDefined();
    expect(body.frontier[0]!.measured_on).toEqual({ prompt_set: "calibration", prompts: 64 });
    const eco = body.tiers.find((x) => x.tier === "eco")!;
    expect(eco.budget.nfe_per_image_max).toBeCloseTo(20.8);
    expect(eco.resolves_to).toMatchObject({ source: "frontier", steps: 10, scheduler: "ddim", adherence: 0.93 });
  });

  it("an unknown model is a 404 naming it; no token is a 401", async () => {
    const t = testApp();
    const res = await t.get("/v1/models/nope/guidance");
    expect(res.status).toBe(404);
    expect(((await res.json()) as { error: { param: string } }).error.param).toBe("id");
    expect((await t.app.request("/v1/models/shapes-32/guidance")).status).toBe(401);
  });

  it("a job without guidance carries the resolved scheduler and steps to the worker", async () => {
    const t = testApp({ config: { models: [MODEL] } });
    await t.post("/v1/images/generations", { prompt: "x" }, { tier: "standard" });
    expect(t.pool.dispatched[0]).toMatchObject({ steps: 12, scheduler: "ddim", max_nfe: 24 });
  });
});
