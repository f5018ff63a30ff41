// withNfeCap: the budget always holds, guidance is used when the budget allows, and the guided
// steps are spread (first one early, slightly denser at the start).
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import {
  AG_AFTER_LATCH,
  asPair,
  type Guidance,
  GuidanceSchema,
  nfeBound,
  nfeFloor,
  plannedExtraStep,
} from "@guidegate/shared";
import { spreadFrontLoaded, withNfeCap } from "../../../gpu-worker/src/guidance/capped.ts";
import { createPolicy } from "../../../gpu-worker/src/guidance/index.ts";
import { guidanceOf, runPolicy } from "./harness.ts";

const scale = fc.double({ min: 0, max: 30, noNaN: true });
const unit = fc.double({ min: 0, max: 1, noNaN: true });

const arbitraryGuidance: fc.Arbitrary<Guidance> = fc.oneof(
  fc.constant(guidanceOf("none")),
  fc.record({ scale, rescale: unit }).map((p) => guidanceOf("cfg", p)),
  fc
    .record({
      scale,
      threshold: fc.double({ min: -1, max: 1, noNaN: true }),
      after_latch: fc.constantFrom(...AG_AFTER_LATCH),
    })
    .map((p) => guidanceOf("ag", p)),
  fc.record({ scale }).map((p) => guidanceOf("linear_ag", p)),
  fc
    .record({
      scale,
      eta: unit,
      norm_threshold: fc.double({ min: 0, max: 50, noNaN: true }),
      momentum: fc.double({ min: -0.99, max: 0, noNaN: true }),
    })
    .map((p) => guidanceOf("apg", p)),
  fc.record({ scale: unit }).map((p) => guidanceOf("cfgpp", p)),
  fc.record({ scale, pag_scale: fc.double({ min: 0, max: 10, noNaN: true }) }).map((p) => guidanceOf("pag", p)),
  fc.record({ scale, start: unit, end: unit }).map((p) => guidanceOf("interval", p)),
  fc.record({ scale, zero_init_steps: fc.integer({ min: 0, max: 10 }) }).map((p) => guidanceOf("cfg_zero_star", p)),
);

const arbitraryRule = fc.oneof(
  fc.constant({ name: "none" }),
  fc.record({ name: fc.constant("cfg"), scale, rescale: unit }),
  fc.record({
    name: fc.constant("apg"),
    scale,
    eta: unit,
    norm_threshold: fc.double({ min: 0, max: 50, noNaN: true }),
    momentum: fc.double({ min: -0.99, max: 0, noNaN: true }),
  }),
  fc.record({ name: fc.constant("cfgpp"), scale: unit }),
  fc.record({ name: fc.constant("cfg_zero_star"), scale, zero_init_steps: fc.integer({ min: 0, max: 10 }) }),
  fc.record({ name: fc.constant("pag"), pag_scale: fc.double({ min: 0, max: 10, noNaN: true }) }),
  fc.record({ name: fc.constant("pag_cfg"), scale, pag_scale: fc.double({ min: 0, max: 10, noNaN: true }) }),
);

const arbitrarySchedule = fc.oneof(
  fc.constant({ name: "every" }),
  fc.record({ name: fc.constant("interval"), start: unit, end: unit }),
  fc.record({
    name: fc.constant("sigma_interval"),
    sigma_lo: fc.double({ min: 0, max: 5, noNaN: true }),
    sigma_hi: fc.double({ min: 0, max: 20, noNaN: true }),
  }),
  fc.record({
    name: fc.constant("first_k"),
    k: fc.integer({ min: 0, max: 60 }),
    after: fc.constantFrom(...AG_AFTER_LATCH),
  }),
  fc.record({
    name: fc.constant("ag_latch"),
    threshold: fc.double({ min: -1, max: 1, noNaN: true }),
    after_latch: fc.constantFrom(...AG_AFTER_LATCH),
  }),
  fc.constant({ name: "linear_ag" }),
  fc.record({ name: fc.constant("reuse"), period: fc.integer({ min: 1, max: 10 }) }),
);

/** Any rule under any schedule, parsed as the worker receives it. */
const arbitraryPair: fc.Arbitrary<Guidance> = fc
  .record({ rule: arbitraryRule, schedule: arbitrarySchedule })
  .map((pair) => GuidanceSchema.parse(pair));

/** The request alone decides the NFEs (not AG's latch, not σ). */
const exactBound = (g: Guidance, steps: number) =>
  Array.from({ length: steps }, (_, i) => plannedExtraStep(asPair(g).schedule, i, steps)).every((p) => p !== undefined);

const run = fc
  .record({
    guidance: fc.oneof(arbitraryGuidance, arbitraryPair),
    steps: fc.integer({ min: 1, max: 60 }),
    salt: fc.integer(),
  })
  .chain(({ guidance, steps, salt }) =>
    fc.record({
      guidance: fc.constant(guidance),
      steps: fc.constant(steps),
      salt: fc.constant(salt),
      budget: fc.integer({ min: steps, max: 3 * steps }),
    }),
  );

describe("withNfeCap", () => {
  it("never exceeds the budget, and uses guidance when the budget allows", () => {
    fc.assert(
      fc.property(run, ({ guidance, steps, budget, salt }) => {
        const uncapped = runPolicy(createPolicy(guidance, {}, steps, "ddim"), steps, salt);
        const capped = runPolicy(withNfeCap(createPolicy(guidance, {}, steps, "ddim"), budget, steps), steps, salt);
        expect(capped.nfe).toBeLessThanOrEqual(budget);
        // Uncapped, a run spends its bound exactly where the request decides it, at most that otherwise.
        if (exactBound(guidance, steps)) expect(uncapped.nfe).toBe(nfeBound(guidance, steps));
        else expect(uncapped.nfe).toBeLessThanOrEqual(nfeBound(guidance, steps));
        // A budget that covers the worst case changes nothing.
        if (budget >= nfeBound(guidance, steps)) {
          expect(capped.nfe).toBe(uncapped.nfe);
          capped.predictions.forEach((p, i) => {
            expect(Array.from(p.x0)).toEqual(Array.from(uncapped.predictions[i]!.x0));
          });
        }
        // Any spare NFE buys guidance if the policy wanted some before its first real extra step.
        const firstWanted = uncapped.extrasPerStep.findIndex((n) => n > 0);
        const cappedExtras = capped.extrasPerStep.reduce((a, b) => a + b, 0);
        // Not σ: a cap plans later steps with the current step's σ, so it cannot know where the window opens.
        const sigma = asPair(guidance).schedule.name === "sigma_interval";
        if (firstWanted >= 0 && budget > steps && !sigma) {
          expect(cappedExtras).toBeGreaterThan(0);
          expect(capped.extrasPerStep[firstWanted]).toBeGreaterThan(0); // the first wanted step is served
        }
      }),
      { numRuns: 1000, seed: 20260801 },
    );
  });

  it("refuses a budget below one NFE per step", () => {
    const policy = createPolicy(guidanceOf("cfg"), {}, 20, "ddim");
    expect(() => withNfeCap(policy, 19, 20)).toThrow(/max_nfe.*19.*20 steps/);
    expect(() => withNfeCap(policy, 20, 20)).not.toThrow();
  });

  it("CFG at 1.5× the steps guides every other step, starting with the first", () => {
    const steps = 20;
    const capped = runPolicy(
      withNfeCap(createPolicy(guidanceOf("cfg", { scale: 3 }), {}, steps, "ddim"), 30, steps),
      steps,
    );
    expect(capped.nfe).toBe(30);
    const guided = capped.extrasPerStep.flatMap((n, i) => (n > 0 ? [i] : []));
    expect(guided[0]).toBe(0);
    expect(guided.length).toBe(10);
    // Slightly front-loaded: more guided steps in the first half than the second.
    expect(guided.filter((i) => i < 10).length).toBeGreaterThan(guided.filter((i) => i >= 10).length);
  });

  it("PAG with CFG and one spare NFE still runs its perturbed branch once", () => {
    const steps = 10;
    const policy = withNfeCap(createPolicy(guidanceOf("pag", { scale: 3 }), {}, steps, "ddim"), steps + 1, steps);
    const { nfe, extrasPerStep } = runPolicy(policy, steps);
    expect(nfe).toBe(steps + 1);
    expect(extrasPerStep[0]).toBe(1);
  });

  it("cfg_zero_star zero-init past half the steps: a budget below the step count (what the edge reserves) completes", () => {
    const steps = 10;
    const guidance = guidanceOf("cfg_zero_star", { zero_init_steps: 7 });
    const budget = nfeBound(guidance, steps); // 6: only three steps run the model
    expect(budget).toBeLessThan(steps);
    const capped = withNfeCap(createPolicy(guidance, {}, steps, "ddim"), budget, steps, nfeFloor(guidance, steps));
    expect(runPolicy(capped, steps).nfe).toBe(budget);
    expect(() => withNfeCap(createPolicy(guidance, {}, steps, "ddim"), 2, steps, 3)).toThrow(/max_nfe/);
  });

  it("cfg_zero_star's free zero-init steps do not eat the budget", () => {
    const steps = 10;
    const guidance = guidanceOf("cfg_zero_star", { zero_init_steps: 2 });
    const capped = runPolicy(withNfeCap(createPolicy(guidance, {}, steps, "ddim"), 16, steps), steps);
    expect(nfeBound(guidance, steps)).toBe(16);
    expect(capped.nfe).toBe(16);
  });
});

describe("spreadFrontLoaded", () => {
  it("picks distinct, increasing indices, the first at 0", () => {
    fc.assert(
      fc.property(
        fc
          .integer({ min: 1, max: 200 })
          .chain((total) => fc.tuple(fc.constant(total), fc.integer({ min: 1, max: total }))),
        ([total, count]) => {
          const picked = spreadFrontLoaded(total, count);
          expect(picked.length).toBe(count);
          expect(picked[0]).toBe(0);
          picked.forEach((p, i) => {
            expect(p).toBeGreaterThanOrEqual(0);
            expect(p).toBeLessThan(total);
            if (i > 0) expect(p).toBeGreaterThan(picked[i - 1]!);
          });
        },
      ),
      { numRuns: 500, seed: 7 },
    );
  });

  it("is slightly denser early", () => {
    // Gaps 1,2,1,2,2,2,2,2,3: density 1.3 at the start, 0.7 at the end.
    expect(spreadFrontLoaded(20, 10)).toEqual([0, 1, 3, 4, 6, 8, 10, 12, 14, 17]);
    expect(spreadFrontLoaded(10, 10)).toEqual([0, 1, 2, 3, 4, 5, 6, 7, 8, 9]);
    expect(spreadFrontLoaded(50, 1)).toEqual([0]);
  });
});
