// Rule × schedule: every rule under every schedule on a hand-computed case, the NFEs of pairs
// against shared's bound, and each preset equal to the pair it stands for.
import { describe, expect, it } from "vitest";
import {
  GuidanceSchema,
  type GuidanceInput,
  guidanceName,
  needsPerturbed,
  nfeBound,
  PRESET_PARTS,
  pairNfeBound,
  pairOf,
  plannedExtraStep,
  POLICY_NAMES,
  RULE_EXTRAS,
  RULE_NAMES,
  type RuleName,
  type RuleParams,
  RuleSchema,
  SCHEDULE_NAMES,
  type ScheduleParams,
  ScheduleSchema,
} from "@guidegate/shared";
import { createPolicy } from "../../../gpu-worker/src/guidance/index.ts";
import type { BranchOutputs, ModelGuidanceDefaults } from "../../../gpu-worker/src/guidance/types.ts";
import { epsFromX0 } from "../../../gpu-worker/src/schedulers/prediction.ts";
import { expectClose } from "../schedulers/harness.ts";
import { fakeOutputs, handContext, runContext, runPolicy } from "./harness.ts";

// The hand case of policies.test.ts on handContext (α 0.6, σ 0.8, x 0.6, so ε = 0.75·(1 − x0)):
//   D_c = [2, 0, 0, 0], D_u = [1, 1, 0, -1], D_p = [1, 0, 0, 1], and a later step's D_c1 = [2, 2, 0, 0];
//   Δ = D_c − D_u = [1, -1, 0, 1], Δ_pag = D_c − D_p = [1, 0, 0, -1].
// A stand-in that reuses the last direction at D_c1 is D_c1 − Δ (x is the same on every hand step).
const C = Float32Array.from([-0.75, 0.75, 0.75, 0.75]);
const U = Float32Array.from([0, 0, 0.75, 1.5]);
const P = Float32Array.from([0, 0.75, 0.75, 0]);
const C1 = Float32Array.from([-0.75, -0.75, 0.75, 0.75]);
const X0_C1 = [2, 2, 0, 0];

interface RuleCase {
  rule: RuleParams;
  /** x0 (and ε where the rule sets it apart) with every branch real: C, U, P. */
  full: { x0: number[]; eps?: number[] };
  /** At C1 with every extra branch stood in for by the step-0 direction. */
  reused: { x0: number[]; eps?: number[] };
}

const rule = (input: object): RuleParams => RuleSchema.parse(input);

/** One hand case per rule (the names must cover RULE_NAMES). */
const RULES: Record<RuleName, RuleCase> = {
  none: { rule: rule({ name: "none" }), full: { x0: [2, 0, 0, 0] }, reused: { x0: X0_C1 } },
  // D_u + 3Δ; reused: D_c1 + 2Δ.
  cfg: { rule: rule({ name: "cfg", scale: 3 }), full: { x0: [4, -2, 0, 2] }, reused: { x0: [4, 0, 0, 2] } },
  // η = 0, no clamp or momentum: D_c + 2Δ⊥. At D_c, Δ∥ = (⟨Δ,D_c⟩/‖D_c‖²)·D_c = [1,0,0,0] → [2,-2,0,2];
  // at D_c1, ⟨Δ, D_c1⟩ = 0 so Δ⊥ = Δ → D_c1 + 2Δ.
  apg: {
    rule: rule({ name: "apg", scale: 3, eta: 0, momentum: 0 }),
    full: { x0: [2, -2, 0, 2] },
    reused: { x0: [4, 0, 0, 2] },
  },
  // x0 = D_u + 0.5Δ, ε = ε_u; reused: D_u' = D_c1 − Δ = [1,3,0,-1] → [1.5,2.5,0,-0.5], ε_u' = 0.75·(1 − D_u').
  cfgpp: {
    rule: rule({ name: "cfgpp", scale: 0.5 }),
    full: { x0: [1.5, 0.5, 0, -0.5], eps: [0, 0, 0.75, 1.5] },
    reused: { x0: [1.5, 2.5, 0, -0.5], eps: [0, -1.5, 0.75, 1.5] },
  },
  // Full: α* = 0.6 → [4,-2,-0.8,0.4] (policies.test). Reused: u' = [0,-1.5,0.75,1.5], α* = 2.8125/5.0625 = 5/9,
  // ε̂ = 3·c1 − (10/9)·u' = [-9/4, -7/12, 17/12, 7/12] → x0 = 1 − (4/3)ε̂ = [4, 16/9, -8/9, 2/9].
  cfg_zero_star: {
    rule: rule({ name: "cfg_zero_star", scale: 3 }),
    full: { x0: [4, -2, -0.8, 0.4] },
    reused: { x0: [4, 16 / 9, -8 / 9, 2 / 9] },
  },
  // D_c + 2Δ_pag; reused: D_c1 + 2Δ_pag.
  pag: { rule: rule({ name: "pag", pag_scale: 2 }), full: { x0: [4, 0, 0, -2] }, reused: { x0: [4, 2, 0, -2] } },
  // D_u + 3Δ + 2Δ_pag; reused: D_c1 + 2Δ + 2Δ_pag.
  pag_cfg: {
    rule: rule({ name: "pag_cfg", scale: 3, pag_scale: 2 }),
    full: { x0: [6, -2, 0, 0] },
    reused: { x0: [6, 0, 0, 0] },
  },
};

/**
 * One hand step of a schedule: what is fed (every branch at C/U/P, or C1 alone), whether the
 * schedule must ask for the extra branches, and what the rule must then have combined.
 */
interface ScheduleStep {
  step: number;
  feed: "full" | "c1";
  asks: boolean;
  expect: "full" | "reused" | "cond";
}

interface ScheduleCase {
  label: string;
  schedule: ScheduleParams;
  hand: ScheduleStep[];
}

const schedule = (input: object): ScheduleParams => ScheduleSchema.parse(input);
const full = (step: number): ScheduleStep => ({ step, feed: "full", asks: true, expect: "full" });
/** Asked for the extras but given cond alone (an NFE cap): the last direction stands in. */
const capped = (step: number): ScheduleStep => ({ step, feed: "c1", asks: true, expect: "reused" });
const skipped = (step: number, expect: "reused" | "cond"): ScheduleStep => ({ step, feed: "c1", asks: false, expect });

/** Hand cases per schedule (together covering SCHEDULE_NAMES), 10 steps on handContext (EDM σ = 4/3). */
const SCHEDULES: ScheduleCase[] = [
  { label: "every", schedule: schedule({ name: "every" }), hand: [full(0), capped(1)] },
  // i/10 in [0, 0.5): steps 0-4 guided, step 5 cond alone.
  {
    label: "interval 0-0.5",
    schedule: schedule({ name: "interval", start: 0, end: 0.5 }),
    hand: [full(0), capped(1), skipped(5, "cond")],
  },
  {
    label: "σ in (1, 1.5]",
    schedule: schedule({ name: "sigma_interval", sigma_lo: 1, sigma_hi: 1.5 }),
    hand: [full(0), capped(1)],
  },
  {
    label: "σ outside (2, 5]",
    schedule: schedule({ name: "sigma_interval", sigma_lo: 2, sigma_hi: 5 }),
    hand: [skipped(0, "cond"), skipped(1, "cond")],
  },
  { label: "first 1 step", schedule: schedule({ name: "first_k", k: 1 }), hand: [full(0), skipped(1, "cond")] },
  {
    label: "first 2 steps, then reuse",
    schedule: schedule({ name: "first_k", k: 2, after: "reuse" }),
    hand: [full(0), capped(1), skipped(2, "reused")],
  },
  // Threshold −1: any agreement latches after step 0 (rule none has no extras and never latches, nor needs to).
  {
    label: "ag latched, then cond",
    schedule: schedule({ name: "ag_latch", threshold: -1, after_latch: "conditional" }),
    hand: [full(0), skipped(1, "cond")],
  },
  {
    label: "ag latched, then reuse",
    schedule: schedule({ name: "ag_latch", threshold: -1, after_latch: "reuse" }),
    hand: [full(0), skipped(1, "reused"), skipped(2, "reused")],
  },
  { label: "ag never latching", schedule: schedule({ name: "ag_latch", threshold: 1 }), hand: [full(0), capped(1)] },
  // 10 steps: extras on steps 0, 1 (warm-up), then 5 and 9; step 2 predicts them by reuse (no fit).
  { label: "linear_ag", schedule: schedule({ name: "linear_ag" }), hand: [full(0), full(1), skipped(2, "reused")] },
  {
    label: "reuse every 2nd step",
    schedule: schedule({ name: "reuse", period: 2 }),
    hand: [full(0), skipped(1, "reused"), { ...full(2), feed: "full" }],
  },
];

function feed(step: ScheduleStep, asked: readonly string[]): BranchOutputs {
  if (step.feed === "c1") return { cond: C1 };
  const all: BranchOutputs = { cond: C, uncond: U, perturbed: P };
  return Object.fromEntries(asked.map((b) => [b, all[b as keyof BranchOutputs]]));
}

function expected(r: RuleCase, step: ScheduleStep): { x0: number[]; eps?: number[] } {
  if (step.expect === "cond") return { x0: X0_C1 };
  // A rule without extra branches is cond alone whatever the schedule.
  return step.expect === "full" ? r.full : r.reused;
}

describe("rule × schedule on hand-computed cases", () => {
  it("the cases cover every rule and every schedule", () => {
    expect(Object.keys(RULES).sort()).toEqual([...RULE_NAMES].sort());
    expect(new Set(SCHEDULES.map((s) => s.schedule.name))).toEqual(new Set(SCHEDULE_NAMES));
  });

  for (const name of RULE_NAMES) {
    const r = RULES[name];
    for (const s of SCHEDULES) {
      it(`${name} × ${s.label}`, () => {
        const policy = createPolicy({ rule: r.rule, schedule: s.schedule }, {}, 10, "ddim");
        expect(policy.name).toBe(`${name}/${s.schedule.name}`);
        for (const h of s.hand) {
          const ctx = handContext(h.step);
          const asked = policy.branches(ctx);
          const extras = RULE_EXTRAS[name];
          expect(asked, `step ${h.step} branches`).toEqual(h.asks ? ["cond", ...extras] : ["cond"]);
          const pred = policy.combine(ctx, feed(h, asked));
          const want = expected(r, h);
          expectClose(pred.x0, want.x0, 1e-5, `step ${h.step} x0`);
          const eps = want.eps ?? Array.from(epsFromX0(Float32Array.from(want.x0), ctx.x, ctx.alpha, ctx.sigma));
          expectClose(pred.eps, eps, 1e-5, `step ${h.step} eps`);
        }
      });
    }
  }

  it("a rule's idle steps (CFG-Zero*'s zero-init) evaluate nothing under every schedule", () => {
    for (const s of SCHEDULES) {
      const policy = createPolicy(
        { rule: { name: "cfg_zero_star", scale: 3, zero_init_steps: 1 }, schedule: s.schedule },
        {},
        10,
        "ddim",
      );
      expect(policy.branches(handContext(0)), s.label).toEqual([]);
      expectClose(policy.combine(handContext(0), {}).x0, [0, 0, 0, 0], 0, s.label);
      expect(policy.branches(handContext(1))[0], s.label).toBe("cond");
    }
  });

  it("LinearAG's calibrated coefficients predict uncond under any rule; PAG's branch is reused", () => {
    // Calibrated (a, b, d) = (0.5, 0, 0.5) at step 2: û = (D_c1 + D_u)/2 = [1.5,1.5,0,-0.5]; perturbed
    // reuses: D_p' = D_c1 − Δ_pag. pag_cfg at scale 3, pag_scale 2: û + 3(D_c1 − û) + 2Δ_pag.
    const defaults: ModelGuidanceDefaults = {
      linear_ag: {
        "ddim:10": { scale: 3, steps: [null, null, [0.5, 0, 0.5], null, null, null, null, null, null, null] },
      },
    };
    const policy = createPolicy(
      { rule: { name: "pag_cfg", pag_scale: 2 }, schedule: { name: "linear_ag" } },
      defaults,
      10,
      "ddim",
    );
    for (const step of [0, 1]) policy.combine(handContext(step), { cond: C, uncond: U, perturbed: P });
    expectClose(policy.combine(handContext(2), { cond: C1 }).x0, [3 + 2, 3, 0, 1 - 2], 1e-5);
  });
});

/** Pair parameters that exercise each schedule over a run. */
const RUN_SCHEDULES: ScheduleParams[] = [
  schedule({ name: "every" }),
  schedule({ name: "interval" }),
  schedule({ name: "interval", start: 0.5, end: 1 }),
  schedule({ name: "sigma_interval", sigma_lo: 0.5, sigma_hi: 3 }),
  schedule({ name: "first_k", k: 4 }),
  schedule({ name: "first_k", k: 3, after: "reuse" }),
  schedule({ name: "ag_latch" }),
  schedule({ name: "ag_latch", threshold: 0.3, after_latch: "reuse" }),
  schedule({ name: "linear_ag" }),
  schedule({ name: "reuse", period: 3 }),
];
const RUN_RULES: RuleParams[] = [
  rule({ name: "none" }),
  rule({ name: "cfg", rescale: 0.7 }),
  rule({ name: "apg", norm_threshold: 0.5 }),
  rule({ name: "cfgpp" }),
  rule({ name: "cfg_zero_star", zero_init_steps: 2 }),
  rule({ name: "pag" }),
  rule({ name: "pag_cfg", scale: 2 }),
];

/** The request alone decides the schedule's NFEs on every step. */
const exact = (s: ScheduleParams, steps: number) =>
  Array.from({ length: steps }, (_, i) => plannedExtraStep(s, i, steps)).every((p) => p !== undefined);

describe("NFEs of pairs", () => {
  for (const r of RUN_RULES) {
    for (const s of RUN_SCHEDULES) {
      it(`${JSON.stringify(r)} × ${JSON.stringify(s)}: NFEs ${exact(s, 10) ? "equal" : "stay within"} shared's nfeBound`, () => {
        for (const steps of [1, 2, 7, 10, 30]) {
          const guidance: GuidanceInput = { rule: r, schedule: s };
          const { nfe, extrasPerStep } = runPolicy(createPolicy(guidance, { scale: 2.5 }, steps, "ddim"), steps);
          const bound = nfeBound(guidance, steps);
          expect(bound).toBe(pairNfeBound(r, s, steps));
          if (exact(s, steps)) expect(nfe, `steps ${steps}`).toBe(bound);
          else expect(nfe, `steps ${steps}`).toBeLessThanOrEqual(bound);
          for (const n of extrasPerStep) expect([0, RULE_EXTRAS[r.name].length]).toContain(n);
        }
      });
    }
  }

  it("counts the rule's extra branches on the schedule's steps, and nothing on idle steps", () => {
    const bound = (input: object, steps: number) => nfeBound(GuidanceSchema.parse(input), steps);
    expect(bound({ rule: { name: "pag_cfg" }, schedule: { name: "first_k", k: 3 } }, 10)).toBe(10 + 3 * 2);
    expect(bound({ rule: { name: "apg" }, schedule: { name: "reuse", period: 3 } }, 10)).toBe(10 + 4); // 0, 3, 6, 9
    // Idle steps 0, 1 cost 0; steps 2-4 in [0, 0.5) cost 2; steps 5-9 cost 1.
    const zeroInit = {
      rule: { name: "cfg_zero_star", zero_init_steps: 2 },
      schedule: { name: "interval", start: 0, end: 0.5 },
    };
    expect(bound(zeroInit, 10)).toBe(0 + 3 * 2 + 5);
    expect(bound({ rule: { name: "none" }, schedule: { name: "ag_latch" } }, 10)).toBe(10);
    // The run decides σ and AG's latch: the worst case is every step.
    expect(bound({ rule: { name: "pag" }, schedule: { name: "sigma_interval", sigma_lo: 0, sigma_hi: 1 } }, 10)).toBe(
      20,
    );
    expect(bound({ rule: { name: "cfg" } }, 10)).toBe(20); // the schedule defaults to every step
  });
});

describe("presets are pairs", () => {
  const PRESET_RUNS: GuidanceInput[] = [
    { policy: "none" },
    { policy: "cfg", scale: 3, rescale: 0.5 },
    { policy: "ag", threshold: 0.6, after_latch: "reuse" },
    { policy: "linear_ag" },
    { policy: "apg", norm_threshold: 0.4, eta: 0.3 },
    { policy: "cfgpp", scale: 0.7 },
    { policy: "pag" },
    { policy: "pag", scale: 3, pag_scale: 2 },
    { policy: "interval", start: 0.1, end: 0.6 },
    { policy: "cfg_zero_star", zero_init_steps: 1 },
  ];
  const defaults: ModelGuidanceDefaults = {
    scale: 2,
    linear_ag: {
      "ddim:12": { scale: 4, steps: Array.from({ length: 12 }, (_, i) => (i % 3 === 2 ? [0.9, -0.2, 0.3] : null)) },
    },
  };

  it.each(PRESET_RUNS.map((g) => [JSON.stringify(g), g] as const))("%s runs exactly as its pair", (_, input) => {
    const preset = GuidanceSchema.parse(input);
    if (preset.policy === undefined) throw new Error("not a preset");
    const pair = pairOf(preset);
    expect(PRESET_PARTS[preset.policy].rules).toContain(pair.rule.name);
    expect(pair.schedule.name).toBe(PRESET_PARTS[preset.policy].schedule);
    expect(nfeBound(pair, 12)).toBe(nfeBound(preset, 12));
    const a = createPolicy(preset, defaults, 12, "ddim");
    const b = createPolicy(pair, defaults, 12, "ddim");
    for (let i = 0; i < 12; i++) {
      const ctx = runContext(i, 12);
      const branches = a.branches(ctx);
      expect(b.branches(ctx)).toEqual(branches);
      const out = fakeOutputs(ctx, branches);
      expect(Array.from(b.combine(ctx, out).x0)).toEqual(Array.from(a.combine(ctx, out).x0));
    }
  });

  it("every preset name has its parts", () => {
    expect(Object.keys(PRESET_PARTS).sort()).toEqual([...POLICY_NAMES].sort());
  });
});

describe("the pair's wire shape", () => {
  const issue = (input: unknown) => {
    const r = GuidanceSchema.safeParse(input);
    return r.success ? undefined : r.error.issues[0];
  };

  it("fills the rule's and the schedule's defaults, and defaults the schedule to every step", () => {
    expect(GuidanceSchema.parse({ rule: { name: "apg" }, schedule: { name: "reuse" } })).toEqual({
      rule: { name: "apg", eta: 0, momentum: -0.5 },
      schedule: { name: "reuse", period: 2 },
    });
    expect(GuidanceSchema.parse({ rule: { name: "cfg", scale: 2 } })).toEqual({
      rule: { name: "cfg", scale: 2, rescale: 0 },
      schedule: { name: "every" },
    });
  });

  it("refuses unknown keys and bad values by path", () => {
    expect(issue({ rule: { name: "cfg", scal: 2 } })).toMatchObject({
      code: "unrecognized_keys",
      path: ["rule"],
      keys: ["scal"],
    });
    expect(issue({ rule: { name: "cfg" }, schedule: { name: "first_k", k: 2, n: 1 } })).toMatchObject({
      code: "unrecognized_keys",
      path: ["schedule"],
    });
    expect(issue({ rule: { name: "cfgpp", scale: 2 } })?.path).toEqual(["rule", "scale"]);
    expect(issue({ rule: { name: "cfg" }, schedule: { name: "ag_latch", threshold: 2 } })?.path).toEqual([
      "schedule",
      "threshold",
    ]);
    expect(issue({ rule: { name: "cfg" }, schedule: { name: "first_k" } })?.path).toEqual(["schedule", "k"]);
    expect(issue({ rule: { name: "nope" } })?.path).toEqual(["rule", "name"]);
    expect(issue({ rule: { name: "cfg" }, schedule: { name: "sometimes" } })?.path).toEqual(["schedule", "name"]);
    expect(issue({ schedule: { name: "every" } })?.path).toEqual(["rule"]);
    // The two shapes do not mix: a preset refuses "rule" by name.
    expect(issue({ policy: "cfg", rule: { name: "cfg" } })).toMatchObject({
      code: "unrecognized_keys",
      keys: ["rule"],
    });
  });
});

describe("names and capabilities", () => {
  it("names a preset by its policy and a pair rule/schedule", () => {
    expect(guidanceName(GuidanceSchema.parse({ policy: "ag" }))).toBe("ag");
    expect(guidanceName(GuidanceSchema.parse({ rule: { name: "cfgpp" }, schedule: { name: "ag_latch" } }))).toBe(
      "cfgpp/ag_latch",
    );
    expect(guidanceName(GuidanceSchema.parse({ rule: { name: "cfg" } }))).toBe("cfg/every");
  });

  it("knows which guidance needs PAG's perturbed branch", () => {
    expect(needsPerturbed({ policy: "pag" })).toBe(true);
    expect(needsPerturbed({ policy: "pag", scale: 3 })).toBe(true);
    expect(needsPerturbed({ rule: { name: "pag_cfg" }, schedule: { name: "first_k", k: 2 } })).toBe(true);
    expect(needsPerturbed({ rule: { name: "cfg" } })).toBe(false);
    expect(needsPerturbed({ policy: "ag" })).toBe(false);
  });
});
