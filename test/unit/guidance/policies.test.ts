// The shared suite every guidance policy runs: its rule on a hand-computed case, its NFEs
// against shared's nfeBound, x0/ε consistency, and combine() with branches missing.
import { describe, expect, it } from "vitest";
import { type Guidance, nfeBound, POLICY_NAMES, type PolicyName } from "@guidegate/shared";
import { createPolicy, nfeBoundOf } from "../../../gpu-worker/src/guidance/index.ts";
import type { BranchOutputs, ModelGuidanceDefaults } from "../../../gpu-worker/src/guidance/types.ts";
import { centeredCosine } from "../../../gpu-worker/src/guidance/vector.ts";
import { epsFromX0, x0FromEps } from "../../../gpu-worker/src/schedulers/prediction.ts";
import { expectClose } from "../schedulers/harness.ts";
import { fakeOutputs, guidanceOf, handContext, runContext, runPolicy } from "./harness.ts";

// Hand case on handContext (α 0.6, σ 0.8, x 0.6): ε = 0.75·(1 − x0).
//   D_c  = [2, 0, 0, 0]  → ε_c  = [-0.75, 0.75, 0.75, 0.75]
//   D_u  = [1, 1, 0, -1] → ε_u  = [0, 0, 0.75, 1.5]
//   D_p  = [1, 0, 0, 1]  → ε_p  = [0, 0.75, 0.75, 0]      (perturbed)
//   D_c1 = [2, 2, 0, 0]  → ε_c1 = [-0.75, -0.75, 0.75, 0.75] (a later step's cond)
// so Δ = D_c − D_u = [1, -1, 0, 1] and Δ_pag = D_c − D_p = [1, 0, 0, -1].
const C = Float32Array.from([-0.75, 0.75, 0.75, 0.75]);
const U = Float32Array.from([0, 0, 0.75, 1.5]);
const P = Float32Array.from([0, 0.75, 0.75, 0]);
const C1 = Float32Array.from([-0.75, -0.75, 0.75, 0.75]);

interface HandStep {
  step: number;
  out: BranchOutputs;
  x0: number[];
  eps?: number[]; // only where the rule sets ε apart from x0 (CFG++, zero-init)
  branches?: string[]; // what the policy must ask for at this step
}

interface PolicyCase {
  guidance: Guidance;
  steps: number;
  defaults?: ModelGuidanceDefaults;
  hand: HandStep[];
}

const sqrt3 = Math.sqrt(3);
const rescaleFactor = 0.5 + 0.5 * Math.sqrt(0.75 / 5); // φ·std(D_c)/std(g) + 1 − φ with g = [4,-2,0,2]

/** Hand-computed expectations, one or more per policy (names must cover POLICY_NAMES). */
const CASES: Record<PolicyName, PolicyCase[]> = {
  none: [
    {
      guidance: guidanceOf("none"),
      steps: 10,
      hand: [{ step: 0, out: { cond: C }, x0: [2, 0, 0, 0], branches: ["cond"] }],
    },
  ],
  cfg: [
    {
      guidance: guidanceOf("cfg", { scale: 3 }),
      steps: 10,
      // D_u + 3Δ; then with uncond missing, the last Δ is reused: D_c1 + 2Δ.
      hand: [
        { step: 0, out: { cond: C, uncond: U }, x0: [4, -2, 0, 2], branches: ["cond", "uncond"] },
        { step: 1, out: { cond: C1 }, x0: [4, 0, 0, 2] },
      ],
    },
    {
      guidance: guidanceOf("cfg", { scale: 3, rescale: 0.5 }),
      steps: 10,
      // std(D_c) = √0.75, std([4,-2,0,2]) = √5 (population; the ratio is the same unbiased).
      hand: [{ step: 0, out: { cond: C, uncond: U }, x0: [4, -2, 0, 2].map((v) => v * rescaleFactor) }],
    },
  ],
  ag: [
    {
      // Centred (mean removed): [3,-3,-1,1]·[1.5,-0.5,-0.5,-0.5] = 6, over √20·√3: cos ≈ 0.7746 < 0.8.
      guidance: guidanceOf("ag", { scale: 3, threshold: 0.8 }),
      steps: 10,
      hand: [
        { step: 0, out: { cond: C, uncond: U }, x0: [4, -2, 0, 2], branches: ["cond", "uncond"] },
        { step: 1, out: { cond: C, uncond: U }, x0: [4, -2, 0, 2], branches: ["cond", "uncond"] },
      ],
    },
    {
      // 0.7746 ≥ 0.77: truncates after step 0, cond only from then on.
      guidance: guidanceOf("ag", { scale: 3, threshold: 0.77 }),
      steps: 10,
      hand: [
        { step: 0, out: { cond: C, uncond: U }, x0: [4, -2, 0, 2], branches: ["cond", "uncond"] },
        { step: 1, out: { cond: C1 }, x0: [2, 2, 0, 0], branches: ["cond"] },
      ],
    },
    {
      // The same latch with after_latch "reuse": step 1 guides along step 0's Δ, D_c1 + 2Δ.
      guidance: guidanceOf("ag", { scale: 3, threshold: 0.77, after_latch: "reuse" }),
      steps: 10,
      hand: [
        { step: 0, out: { cond: C, uncond: U }, x0: [4, -2, 0, 2], branches: ["cond", "uncond"] },
        { step: 1, out: { cond: C1 }, x0: [4, 0, 0, 2], branches: ["cond"] },
        { step: 2, out: { cond: C }, x0: [4, -2, 0, 2], branches: ["cond"] },
      ],
    },
  ],
  linear_ag: [
    {
      // steps 10: uncond real on steps 0, 1 (warm-up) then 5, 9. Step 2 reuses: û = c1 − (c − u).
      guidance: guidanceOf("linear_ag", { scale: 3 }),
      steps: 10,
      hand: [
        { step: 0, out: { cond: C, uncond: U }, x0: [4, -2, 0, 2], branches: ["cond", "uncond"] },
        { step: 1, out: { cond: C, uncond: U }, x0: [4, -2, 0, 2], branches: ["cond", "uncond"] },
        { step: 2, out: { cond: C1 }, x0: [4, 0, 0, 2], branches: ["cond"] },
      ],
    },
    {
      // Calibrated (a, b, d) = (0.5, 0, 0.5) at step 2: û = (D_c1 + D_u)/2 = [1.5,1.5,0,-0.5]; + 3(D_c1 − û).
      guidance: guidanceOf("linear_ag", {}),
      steps: 10,
      defaults: {
        scale: 9,
        linear_ag: {
          "ddim:10": { scale: 3, steps: [null, null, [0.5, 0, 0.5], null, null, null, null, null, null, null] },
        },
      },
      hand: [
        { step: 0, out: { cond: C, uncond: U }, x0: [4, -2, 0, 2] },
        { step: 1, out: { cond: C, uncond: U }, x0: [4, -2, 0, 2] },
        { step: 2, out: { cond: C1 }, x0: [3, 3, 0, 1] },
      ],
    },
  ],
  apg: [
    {
      // Step 0: ‖Δ‖ = √3 > r = 1 → Δ/√3; Δ∥ = [1/√3,0,0,0]; D_c + 2(Δ⊥ + 0.5Δ∥).
      // Step 1, same inputs: running = Δ − 0.5Δ = [.5,-.5,0,.5] (‖·‖ < 1); D_c + 2([0,-.5,0,.5] + .5[.5,0,0,0]).
      guidance: guidanceOf("apg", { scale: 3, eta: 0.5, norm_threshold: 1, momentum: -0.5 }),
      steps: 10,
      hand: [
        {
          step: 0,
          out: { cond: C, uncond: U },
          x0: [2 + 1 / sqrt3, -2 / sqrt3, 0, 2 / sqrt3],
          branches: ["cond", "uncond"],
        },
        { step: 1, out: { cond: C, uncond: U }, x0: [2.5, -1, 0, 1] },
      ],
    },
    {
      // η = 1, no clamp, no momentum: the paper form equals CFG at the same w.
      guidance: guidanceOf("apg", { scale: 3, eta: 1, momentum: 0 }),
      steps: 10,
      hand: [{ step: 0, out: { cond: C, uncond: U }, x0: [4, -2, 0, 2] }],
    },
  ],
  cfgpp: [
    {
      // x0 = D_u + 0.5Δ, ε = ε_u.
      guidance: guidanceOf("cfgpp", { scale: 0.5 }),
      steps: 10,
      hand: [
        {
          step: 0,
          out: { cond: C, uncond: U },
          x0: [1.5, 0.5, 0, -0.5],
          eps: [0, 0, 0.75, 1.5],
          branches: ["cond", "uncond"],
        },
      ],
    },
  ],
  pag: [
    {
      // PAG alone: D_c + 2Δ_pag.
      guidance: guidanceOf("pag", { pag_scale: 2 }),
      steps: 10,
      hand: [{ step: 0, out: { cond: C, perturbed: P }, x0: [4, 0, 0, -2], branches: ["cond", "perturbed"] }],
    },
    {
      // With CFG: D_u + 3Δ + 2Δ_pag.
      guidance: guidanceOf("pag", { scale: 3, pag_scale: 2 }),
      steps: 10,
      hand: [
        {
          step: 0,
          out: { cond: C, perturbed: P, uncond: U },
          x0: [6, -2, 0, 0],
          branches: ["cond", "perturbed", "uncond"],
        },
      ],
    },
  ],
  interval: [
    {
      // steps 10, window [0.2, 0.8): CFG on steps 2..7 only.
      guidance: guidanceOf("interval", { scale: 3 }),
      steps: 10,
      hand: [
        { step: 0, out: { cond: C }, x0: [2, 0, 0, 0], branches: ["cond"] },
        { step: 2, out: { cond: C, uncond: U }, x0: [4, -2, 0, 2], branches: ["cond", "uncond"] },
        { step: 8, out: { cond: C }, x0: [2, 0, 0, 0], branches: ["cond"] },
      ],
    },
  ],
  cfg_zero_star: [
    {
      // Step 0 zero-init: x0 = 0, ε = x/σ = 0.75. Step 1: α* = ⟨ε_c,ε_u⟩/‖ε_u‖² = 1.6875/2.8125 = 0.6,
      // ε̂ = 3ε_c − 1.2ε_u = [-2.25, 2.25, 1.35, 0.45] → x0 = [4, -2, -0.8, 0.4].
      guidance: guidanceOf("cfg_zero_star", { scale: 3, zero_init_steps: 1 }),
      steps: 10,
      hand: [
        { step: 0, out: {}, x0: [0, 0, 0, 0], eps: [0.75, 0.75, 0.75, 0.75], branches: [] },
        { step: 1, out: { cond: C, uncond: U }, x0: [4, -2, -0.8, 0.4], branches: ["cond", "uncond"] },
      ],
    },
  ],
};

/** Policies whose NFE count is fixed by the step count alone (AG's depends on the outputs). */
const DETERMINISTIC_NFE: Record<PolicyName, boolean> = {
  none: true,
  cfg: true,
  ag: false,
  linear_ag: true,
  apg: true,
  cfgpp: true,
  pag: true,
  interval: true,
  cfg_zero_star: true,
};

/** Params that exercise each policy on a run (and make steps 0 and 1 both want extras). */
const RUN_GUIDANCE: Record<PolicyName, Guidance[]> = {
  none: [guidanceOf("none")],
  cfg: [guidanceOf("cfg"), guidanceOf("cfg", { scale: 5, rescale: 0.7 })],
  ag: [
    guidanceOf("ag", { scale: 4 }),
    guidanceOf("ag", { threshold: -1 }),
    guidanceOf("ag", { threshold: 0.5, after_latch: "reuse" }),
  ],
  linear_ag: [guidanceOf("linear_ag", { scale: 2 })],
  apg: [guidanceOf("apg"), guidanceOf("apg", { scale: 12, eta: 0.3, norm_threshold: 0.5, momentum: -0.7 })],
  cfgpp: [guidanceOf("cfgpp", { scale: 0.8 })],
  pag: [guidanceOf("pag"), guidanceOf("pag", { scale: 4, pag_scale: 1.5 })],
  interval: [guidanceOf("interval", { scale: 3, start: 0, end: 0.5 }), guidanceOf("interval", { start: 0.25, end: 1 })],
  cfg_zero_star: [
    guidanceOf("cfg_zero_star", { zero_init_steps: 0 }),
    guidanceOf("cfg_zero_star", { zero_init_steps: 3 }),
  ],
};

const DEFAULTS: ModelGuidanceDefaults = { scale: 2.5 };

describe.each(POLICY_NAMES.map((name) => [name] as [PolicyName]))("policy %s", (name) => {
  it("has hand cases and run params (the suite covers every policy)", () => {
    expect(CASES[name].length).toBeGreaterThan(0);
    expect(RUN_GUIDANCE[name].length).toBeGreaterThan(0);
  });

  CASES[name].forEach((c, n) => {
    it(`combines by its rule on hand-computed case ${n + 1}`, () => {
      const policy = createPolicy(c.guidance, c.defaults ?? {}, c.steps, "ddim");
      expect(policy.name).toBe(name);
      for (const h of c.hand) {
        const ctx = handContext(h.step, c.steps);
        const asked = policy.branches(ctx);
        if (h.branches) expect(asked).toEqual(h.branches);
        const pred = policy.combine(ctx, h.out);
        expectClose(pred.x0, h.x0, 1e-5, `step ${h.step} x0`);
        const eps = h.eps ?? Array.from(epsFromX0(Float32Array.from(h.x0), ctx.x, ctx.alpha, ctx.sigma));
        expectClose(pred.eps, eps, 1e-5, `step ${h.step} eps`);
      }
    });
  });

  for (const guidance of RUN_GUIDANCE[name]) {
    const label = JSON.stringify(guidance);

    it(`${label}: NFEs over a run ${DETERMINISTIC_NFE[name] ? "equal" : "stay within"} shared's nfeBound`, () => {
      for (const steps of [1, 2, 7, 10, 30, 50]) {
        const { nfe } = runPolicy(createPolicy(guidance, DEFAULTS, steps, "ddim"), steps);
        expect(nfeBoundOf(guidance, steps)).toBe(nfeBound(guidance, steps));
        if (DETERMINISTIC_NFE[name]) expect(nfe, `steps ${steps}`).toBe(nfeBound(guidance, steps));
        else expect(nfe, `steps ${steps}`).toBeLessThanOrEqual(nfeBound(guidance, steps));
      }
    });

    it(`${label}: asks for cond on every step it evaluates, and a known branch set`, () => {
      const policy = createPolicy(guidance, DEFAULTS, 20, "ddim");
      for (let i = 0; i < 20; i++) {
        const ctx = runContext(i, 20);
        const branches = policy.branches(ctx);
        if (branches.length > 0) expect(branches[0]).toBe("cond");
        expect(new Set(branches).size).toBe(branches.length);
        for (const b of branches) expect(["cond", "uncond", "perturbed"]).toContain(b);
        policy.combine(ctx, fakeOutputs(ctx, branches));
      }
    });

    if (name !== "cfgpp") {
      it(`${label}: returns a consistent pair, ε = (x − α·x0)/σ`, () => {
        const steps = 12;
        const policy = createPolicy(guidance, DEFAULTS, steps, "ddim");
        for (let i = 0; i < steps; i++) {
          const ctx = runContext(i, steps);
          const pred = policy.combine(ctx, fakeOutputs(ctx, policy.branches(ctx)));
          expectClose(pred.eps, epsFromX0(pred.x0, ctx.x, ctx.alpha, ctx.sigma), 1e-4, `step ${i}`);
        }
      });
    } else {
      it(`${label}: x0 is the λ-guided x0 and ε is the unconditional ε`, () => {
        const policy = createPolicy(guidance, DEFAULTS, 5, "euler");
        const ctx = runContext(2, 5);
        const out = fakeOutputs(ctx, ["cond", "uncond"]);
        const pred = policy.combine({ ...ctx, step: 0 }, out);
        expect(Array.from(pred.eps)).toEqual(Array.from(out.uncond!));
        const guided = out.uncond!.map((u, k) => u + 0.8 * (out.cond![k]! - u));
        expectClose(pred.x0, x0FromEps(guided, ctx.x, ctx.alpha, ctx.sigma), 1e-5);
      });
    }

    it(`${label}: with only cond and no history, falls back to the conditional prediction`, () => {
      const policy = createPolicy(guidance, DEFAULTS, 10, "ddim");
      const ctx = runContext(0, 10);
      if (policy.branches(ctx).length === 0) return; // zero-init step: nothing evaluated
      const cond = fakeOutputs(ctx, ["cond"]).cond!;
      const pred = policy.combine(ctx, { cond });
      expectClose(pred.eps, cond, 1e-6);
      expectClose(pred.x0, x0FromEps(cond, ctx.x, ctx.alpha, ctx.sigma), 1e-5);
    });

    it(`${label}: a missing branch is the real one rebuilt from the last direction`, () => {
      const steps = 10;
      // Find the first two steps that want extra branches; feed the first fully.
      const probe = createPolicy(guidance, DEFAULTS, steps, "ddim");
      const wanting: number[] = [];
      for (let i = 0; i < steps && wanting.length < 2; i++) {
        const ctx = runContext(i, steps);
        const branches = probe.branches(ctx);
        if (branches.length > 1) wanting.push(i);
        probe.combine(ctx, fakeOutputs(ctx, branches));
      }
      if (wanting.length < 2) return; // e.g. "none", or AG latching immediately
      const [first, second] = wanting as [number, number];
      const capped = createPolicy(guidance, DEFAULTS, steps, "ddim");
      const full = createPolicy(guidance, DEFAULTS, steps, "ddim");
      let firstOut: BranchOutputs = {};
      for (let i = 0; i < second; i++) {
        const ctx = runContext(i, steps);
        const out = fakeOutputs(ctx, capped.branches(ctx));
        full.branches(ctx);
        if (i === first) firstOut = out;
        capped.combine(ctx, out);
        full.combine(ctx, out);
      }
      const ctx = runContext(second, steps);
      const asked = capped.branches(ctx);
      full.branches(ctx);
      const real = fakeOutputs(ctx, asked);
      const c = real.cond!;
      const standIn: BranchOutputs = { cond: c };
      for (const b of asked) {
        if (b === "cond") continue;
        const before = firstOut[b]!;
        standIn[b] = c.map((v, k) => v - (firstOut.cond![k]! - before[k]!));
      }
      const withMissing = capped.combine(ctx, { cond: c });
      const withStandIn = full.combine(ctx, standIn);
      expectClose(withMissing.x0, withStandIn.x0, 1e-5, "x0");
      expectClose(withMissing.eps, withStandIn.eps, 1e-5, "eps");
    });
  }
});

describe("policy defaults and validation", () => {
  const step0 = handContext(0);
  const cfgX0 = (w: number) => [1 + w, 1 - w, 0, -1 + w]; // D_u + wΔ

  it("takes the scale from the model's calibration when the request has none", () => {
    const pred = createPolicy(guidanceOf("cfg"), { scale: 2 }, 10, "ddim").combine(step0, { cond: C, uncond: U });
    expectClose(pred.x0, cfgX0(2), 1e-5);
  });

  it("falls back to 7.5 without calibration", () => {
    const pred = createPolicy(guidanceOf("interval", { start: 0 }), {}, 10, "ddim").combine(step0, {
      cond: C,
      uncond: U,
    });
    expectClose(pred.x0, cfgX0(7.5), 1e-5);
  });

  it("runs APG at twice CFG's guidance strength by default (2w − 1)", () => {
    const pred = createPolicy(guidanceOf("apg", { eta: 1, momentum: 0 }), { scale: 2 }, 10, "ddim").combine(step0, {
      cond: C,
      uncond: U,
    });
    expectClose(pred.x0, cfgX0(3), 1e-5);
  });

  it("takes CFG++'s λ from calibration, else CFG scale / 12.5", () => {
    const lambdaOf = (defaults: ModelGuidanceDefaults) =>
      createPolicy(guidanceOf("cfgpp"), defaults, 10, "ddim").combine(step0, { cond: C, uncond: U }).x0[0]! - 1;
    expect(lambdaOf({ cfgpp_scale: 0.3, scale: 5 })).toBeCloseTo(0.3, 6);
    expect(lambdaOf({ scale: 5 })).toBeCloseTo(0.4, 6);
    expect(lambdaOf({})).toBeCloseTo(0.6, 6);
  });

  it("takes AG's threshold from calibration", () => {
    const policy = createPolicy(guidanceOf("ag", { scale: 3 }), { ag_threshold: 0.77 }, 10, "ddim");
    policy.branches(step0);
    policy.combine(step0, { cond: C, uncond: U });
    expect(policy.branches(handContext(1))).toEqual(["cond"]);
  });

  it("takes AG's post-latch rule from calibration, and the request overrides it", () => {
    const latchThenStep1 = (params: Record<string, unknown>, defaults: ModelGuidanceDefaults) => {
      const policy = createPolicy(guidanceOf("ag", { scale: 3, threshold: 0.77, ...params }), defaults, 10, "ddim");
      policy.branches(step0);
      policy.combine(step0, { cond: C, uncond: U });
      policy.branches(handContext(1));
      return Array.from(policy.combine(handContext(1), { cond: C1 }).x0);
    };
    expectClose(latchThenStep1({}, {}), [2, 2, 0, 0], 1e-6); // uncalibrated: the paper's rule
    expectClose(latchThenStep1({}, { ag_after_latch: "reuse" }), [4, 0, 0, 2], 1e-6);
    expectClose(latchThenStep1({ after_latch: "conditional" }, { ag_after_latch: "reuse" }), [2, 2, 0, 0], 1e-6);
  });

  it("cfg_zero_star zero-inits no step unless asked (a flow-model device; it cost 29 points on our VP model)", () => {
    expect(nfeBound(guidanceOf("cfg_zero_star"), 10)).toBe(20);
    expect(createPolicy(guidanceOf("cfg_zero_star"), {}, 10, "ddim").branches(step0)).toEqual(["cond", "uncond"]);
    expect(nfeBound(guidanceOf("cfg_zero_star", { zero_init_steps: 1 }), 10)).toBe(18);
  });

  it("rejects parameters outside shared's schema and unknown policies", () => {
    // Untyped input, as a bench or a hand-written job would send it (JSON.parse gives no type).
    const raw = (json: string) => JSON.parse(json);
    expect(() => createPolicy(raw('{"policy":"ag","after_latch":"guess"}'), {}, 10, "ddim")).toThrow(/after_latch/);
    expect(() => createPolicy(raw('{"policy":"cfgpp","scale":2}'), {}, 10, "ddim")).toThrow(/scale/);
    expect(() => createPolicy(raw('{"policy":"apg","momentum":0.5}'), {}, 10, "ddim")).toThrow(/momentum/);
    expect(() => createPolicy(raw('{"policy":"cfg","scal":2}'), {}, 10, "ddim")).toThrow(/scal/);
    expect(() => createPolicy(raw('{"policy":"nope"}'), {}, 10, "ddim")).toThrow(/policy/);
    expect(() => createPolicy(guidanceOf("cfg"), {}, 0, "ddim")).toThrow(/steps/);
  });

  it("a new trajectory at step 0 clears AG's latch and APG's momentum", () => {
    const ag = createPolicy(guidanceOf("ag", { scale: 3, threshold: 0.77 }), {}, 10, "ddim");
    ag.branches(step0);
    ag.combine(step0, { cond: C, uncond: U });
    expect(ag.branches(handContext(1))).toEqual(["cond"]);
    expect(ag.branches(step0)).toEqual(["cond", "uncond"]);

    const apg = createPolicy(guidanceOf("apg", { scale: 3, eta: 0.5, norm_threshold: 1 }), {}, 10, "ddim");
    const first = apg.combine(step0, { cond: C, uncond: U });
    apg.combine(handContext(1), { cond: C, uncond: U });
    expectClose(apg.combine(step0, { cond: C, uncond: U }).x0, first.x0, 1e-6);
  });
});

describe("AG's agreement statistic", () => {
  it("removes each channel's own mean, so a per-channel offset (a background colour) does not count", () => {
    // Two channels of two: a = [1,3 | 10,10], b = [2,4 | 0,5]. Centred: [-1,1 | 0,0] and [-1,1 | -2.5,2.5]:
    // dot 2, |a|² 2, |b|² 14.5 → 2/√29.
    const a = Float32Array.from([1, 3, 10, 10]);
    const b = Float32Array.from([2, 4, 0, 5]);
    expect(centeredCosine(a, b, 2)).toBeCloseTo(2 / Math.sqrt(29), 12);
    expect(
      centeredCosine(
        a.map((v, k) => v + (k < 2 ? 7 : -3)),
        b,
        2,
      ),
    ).toBeCloseTo(2 / Math.sqrt(29), 12);
    // One channel over all four: a − 6 = [-5,-3,4,4], b − 2.75 = [-0.75,1.25,-2.75,2.25].
    expect(centeredCosine(a, b)).toBeCloseTo(-2 / Math.sqrt(66 * 14.75), 12);
  });

  it("AG reads the channel count from the step context", () => {
    // Per channel [4,-2 | 0,2] vs [2,0 | 0,0]: centred [3,-3 | -1,1] and [1,-1 | 0,0]: cos 6/(√20·√2) ≈ 0.9487.
    const ag = createPolicy(guidanceOf("ag", { scale: 3, threshold: 0.9 }), {}, 10, "ddim");
    const twoChannels = { ...handContext(0), channels: 2 };
    ag.combine(twoChannels, { cond: C, uncond: U });
    expect(ag.branches({ ...handContext(1), channels: 2 })).toEqual(["cond"]);
  });
});
