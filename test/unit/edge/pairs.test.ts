// Rule × schedule requests at the edge: what they reserve, how a bad part is named, and which
// tier may run which parts (a tier's presets read as rules and schedules).
import { describe, expect, it } from "vitest";
import { envelopeOf, recordingPool, testApp } from "./support.ts";

const PATH = "/v1/images/generations";

async function expectError(res: Response, status: number, param: string) {
  expect(res.status).toBe(status);
  const err = await envelopeOf(res);
  expect(err.param).toBe(param);
  return err;
}

describe("a rule × schedule request", () => {
  it("reserves n × the pair's bound: the rule's extra branches on the schedule's steps", async () => {
    const t = testApp();
    const guidance = { rule: { name: "apg", scale: 4 }, schedule: { name: "first_k", k: 5 } };
    await t.post(PATH, { prompt: "x", n: 2, steps: 20, guidance }, { tier: "standard" });
    const job = t.pool.dispatched[0]!;
    expect(job.guidance).toEqual({
      rule: { name: "apg", scale: 4, eta: 0, momentum: -0.5 },
      schedule: { name: "first_k", k: 5, after: "conditional" },
    });
    expect(job.max_nfe).toBe(2 * (20 + 5));
    const r = await t.ledger.get(job.job_id);
    expect(r?.reserved).toBe(50);
  });

  it("counts PAG with CFG as two extra branches, and the run-decided schedules at their worst", async () => {
    const t = testApp();
    const reuse = { rule: { name: "pag_cfg", pag_scale: 2 }, schedule: { name: "reuse", period: 3 } };
    await t.post(PATH, { prompt: "x", steps: 10, guidance: reuse }, { tier: "pro" });
    expect(t.pool.dispatched[0]!.max_nfe).toBe(10 + 4 * 2); // steps 0, 3, 6, 9
    const sigma = { rule: { name: "cfg" }, schedule: { name: "sigma_interval", sigma_lo: 0.3, sigma_hi: 5 } };
    await t.post(PATH, { prompt: "x", steps: 10, guidance: sigma }, { tier: "pro" });
    expect(t.pool.dispatched[1]!.max_nfe).toBe(20);
    const idle = { rule: { name: "cfg_zero_star", zero_init_steps: 2 }, schedule: { name: "ag_latch" } };
    await t.post(PATH, { prompt: "x", steps: 10, guidance: idle }, { tier: "pro" });
    expect(t.pool.dispatched[2]!.max_nfe).toBe(16);
  });

  it("still caps the reservation at max_nfe", async () => {
    const t = testApp();
    const guidance = { rule: { name: "cfg" }, schedule: { name: "linear_ag" } };
    await t.post(PATH, { prompt: "x", steps: 20, max_nfe: 25, guidance }, { tier: "eco" });
    expect(t.pool.dispatched[0]!.max_nfe).toBe(25);
  });

  it("names the bad part of a pair (400)", async () => {
    const t = testApp();
    const post = (guidance: object) => t.post(PATH, { prompt: "x", guidance });
    expect((await expectError(await post({ rule: { name: "cfg", scal: 2 } }), 400, "guidance.rule.scal")).code).toBe(
      "unknown_parameter",
    );
    const misspelt = { rule: { name: "cfg" }, schedule: { name: "ag_latch", treshold: 0.9 } };
    expect((await expectError(await post(misspelt), 400, "guidance.schedule.treshold")).code).toBe("unknown_parameter");
    await expectError(await post({ rule: { name: "cfgpp", scale: 3 } }), 400, "guidance.rule.scale");
    await expectError(
      await post({ rule: { name: "cfg" }, schedule: { name: "first_k", k: -1 } }),
      400,
      "guidance.schedule.k",
    );
    await expectError(
      await post({ rule: { name: "cfg" }, schedule: { name: "reuse", period: 0 } }),
      400,
      "guidance.schedule.period",
    );
    await expectError(
      await post({ rule: { name: "cfg" }, schedule: { name: "sigma_interval" } }),
      400,
      "guidance.schedule.sigma_lo",
    );
    await expectError(await post({ rule: { name: "pag+cfg" } }), 400, "guidance.rule.name");
    await expectError(
      await post({ rule: { name: "cfg" }, schedule: { name: "often" } }),
      400,
      "guidance.schedule.name",
    );
    await expectError(await post({ schedule: { name: "every" } }), 400, "guidance.rule");
    await expectError(await post({ policy: "ag", rule: { name: "cfg" } }), 400, "guidance.rule");
    expect(t.pool.dispatched).toHaveLength(0);
  });
});

describe("tiers and models read as rules and schedules", () => {
  it("refuses a rule or a schedule the tier has no preset for (403), naming it", async () => {
    const t = testApp();
    const post = (guidance: object, tier: string) => t.post(PATH, { prompt: "x", guidance }, { tier });
    // eco allows none, ag, linear_ag and interval: the cfg rule, but not APG and not every step.
    await expectError(
      await post({ rule: { name: "apg" }, schedule: { name: "first_k", k: 4 } }, "eco"),
      403,
      "guidance.rule.name",
    );
    const err = await expectError(await post({ rule: { name: "cfg" } }, "eco"), 403, "guidance.schedule.name");
    expect(err.message).toContain('"every"');
    await expectError(
      await post({ rule: { name: "pag" }, schedule: { name: "ag_latch" } }, "standard"),
      403,
      "guidance.rule.name",
    );
    expect(t.pool.dispatched).toHaveLength(0);
    // The same parts the presets use, and the schedules of their families (Step AG with AG, reuse with LinearAG).
    for (const schedule of [
      { name: "first_k", k: 4 },
      { name: "reuse" },
      { name: "sigma_interval", sigma_lo: 0, sigma_hi: 2 },
    ])
      expect((await post({ rule: { name: "cfg" }, schedule }, "eco")).status).toBe(503); // dispatched: no capacity
    expect((await post({ rule: { name: "none" } }, "eco")).status).toBe(503); // nothing to schedule
    expect((await post({ rule: { name: "cfgpp" }, schedule: { name: "ag_latch" } }, "standard")).status).toBe(503);
    expect(t.pool.dispatched).toHaveLength(5);
  });

  it("refuses a rule the model cannot run (400)", async () => {
    const t = testApp({
      config: {
        models: [{ id: "nopag", sizes: ["64x64"], policies: ["none", "cfg", "apg", "ag"], negative_prompt: true }],
      },
    });
    const res = await t.post(PATH, {
      prompt: "x",
      guidance: { rule: { name: "pag_cfg" }, schedule: { name: "first_k", k: 3 } },
    });
    expect((await expectError(res, 400, "guidance.rule.name")).message).toContain("nopag");
    expect(t.pool.dispatched).toHaveLength(0);
  });

  it("GET /v1/policies lists the rules and schedules a tier may pair", async () => {
    const t = testApp();
    const eco = (await (await t.get("/v1/policies", { tier: "eco" })).json()) as {
      rules: Array<{ rule: string; extra_branches: number }>;
      schedules: string[];
    };
    expect(eco.rules).toEqual([
      { rule: "none", extra_branches: 0 },
      { rule: "cfg", extra_branches: 1 },
    ]);
    expect(eco.schedules.sort()).toEqual(["ag_latch", "first_k", "interval", "linear_ag", "reuse", "sigma_interval"]);
    const pro = (await (await t.get("/v1/policies", { tier: "pro" })).json()) as typeof eco;
    expect(pro.rules).toContainEqual({ rule: "pag_cfg", extra_branches: 2 });
    expect(pro.schedules).toContain("every");
  });
});

describe("a pair's job", () => {
  it("is recorded under the name rule/schedule", async () => {
    // A worker that never says "started": the name is the edge's own.
    const pool = recordingPool(async () => ({ worker: "http://w1", events: (async function* () {})(), close() {} }));
    const t = testApp({ pool });
    const guidance = { rule: { name: "apg" }, schedule: { name: "first_k", k: 5 } };
    const res = await t.post("/v1/jobs", { prompt: "x", steps: 10, guidance }, { tier: "standard" });
    expect(res.status).toBe(202);
    const { id } = (await res.json()) as { id: string };
    const job = (await (await t.get(`/v1/jobs/${id}`, { tier: "standard" })).json()) as {
      policy: string;
      max_nfe: number;
    };
    expect(job).toMatchObject({ policy: "apg/first_k", max_nfe: 15 });
  });
});
