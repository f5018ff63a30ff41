// The contract every scheduler must meet, run against each of them.
import { describe, expect, it } from "vitest";
import { SCHEDULERS, type SchedulerName } from "@guidegate/shared";
import { createScheduler, epsFromX0, gaussianNoise } from "../../../gpu-worker/src/schedulers/index.ts";
import { alphasCumprod } from "../../../gpu-worker/src/schedulers/schedule.ts";
import type { Prediction, Scheduler, SchedulerConfig } from "../../../gpu-worker/src/schedulers/types.ts";
import { expectClose, toConfig } from "./harness.ts";

const CONFIGS: Record<string, SchedulerConfig> = {
  "sd leading": toConfig({
    betas: { beta_start: 0.00085, beta_end: 0.012, beta_schedule: "scaled_linear" },
    spacing: "leading",
    offset: 1,
    set_alpha_to_one: true,
    prediction: "epsilon",
  }),
  "cosine trailing": toConfig({
    betas: { beta_start: 0.0001, beta_end: 0.02, beta_schedule: "squaredcos_cap_v2" },
    spacing: "trailing",
    offset: 0,
    set_alpha_to_one: true,
    prediction: "epsilon",
  }),
  "linear linspace, ddim eta 0.5": {
    ...toConfig({
      betas: { beta_start: 0.0001, beta_end: 0.02, beta_schedule: "linear" },
      spacing: "linspace",
      offset: 0,
      set_alpha_to_one: true,
      prediction: "v_prediction",
    }),
    eta: 0.5,
  },
};

const TARGET = Float32Array.from([0.5, -0.3, 0.8, 0.1, -0.9, 0.0]);

/** A perfect denoiser for one data point: x0 is the point, eps whatever makes x consistent. */
function perfect(target: Float32Array) {
  return (input: Float32Array, alpha: number, sigma: number): Prediction => ({
    x0: target,
    eps: epsFromX0(target, input, alpha, sigma),
  });
}

function sample(scheduler: Scheduler, seed: number, denoise = perfect(TARGET)): Float32Array {
  const noise = gaussianNoise(seed);
  let x = scheduler.initNoise(noise(TARGET.length));
  for (let i = 0; i < scheduler.steps; i++) {
    const { alpha, sigma } = scheduler.point(i);
    const input = scheduler.modelInput(x, i);
    x = scheduler.step(x, denoise(input, alpha, sigma), i, noise);
  }
  return x;
}

describe.each(SCHEDULERS.map((name) => [name] as [SchedulerName]))("scheduler %s", (name) => {
  for (const [label, config] of Object.entries(CONFIGS)) {
    for (const steps of [1, 4, 25]) {
      it(`${label}, ${steps} steps: a perfect denoiser lands on its point`, () => {
        expectClose(sample(createScheduler(name, config, steps), 11), TARGET, 1e-4, "final x");
      });
    }

    it(`${label}: the same seed gives the same image`, () => {
      const a = sample(createScheduler(name, config, 12), 5, (x, al, s) => ({
        x0: x.map((v) => v * 0.3),
        eps: epsFromX0(
          x.map((v) => v * 0.3),
          x,
          al,
          s,
        ),
      }));
      const b = sample(createScheduler(name, config, 12), 5, (x, al, s) => ({
        x0: x.map((v) => v * 0.3),
        eps: epsFromX0(
          x.map((v) => v * 0.3),
          x,
          al,
          s,
        ),
      }));
      expect(Array.from(a)).toEqual(Array.from(b));
    });

    it(`${label}: steps run from the noisiest point down`, () => {
      const steps = 30;
      const scheduler = createScheduler(name, config, steps);
      expect(scheduler.steps).toBe(steps);
      const points = Array.from({ length: steps }, (_, i) => scheduler.point(i));
      points.forEach((p, i) => {
        expect(p.alpha * p.alpha + p.sigma * p.sigma).toBeCloseTo(1, 12);
        if (i === 0) return;
        const prev = points[i - 1]!;
        expect(p.timestep).toBeLessThan(prev.timestep);
        expect(p.sigma).toBeLessThan(prev.sigma);
        expect(p.alpha).toBeGreaterThan(prev.alpha);
      });
    });
  }

  it("clip_sample clamps x0 before the step", () => {
    const config: SchedulerConfig = { ...CONFIGS["sd leading"]!, clip_sample: true, clip_sample_range: 1 };
    const outOfRange = Float32Array.from([3, -3, 0.5, 1.5, -0.2, 0]);
    const final = sample(createScheduler(name, config, 10), 3, perfect(outOfRange));
    expectClose(final, [1, -1, 0.5, 1, -0.2, 0], 1e-4, "clamped");
  });

  it("unclipped configs let x0 through", () => {
    const config: SchedulerConfig = { ...CONFIGS["sd leading"]!, clip_sample: false };
    const outOfRange = Float32Array.from([3, -3, 0.5, 1.5, -0.2, 0]);
    expectClose(sample(createScheduler(name, config, 10), 3, perfect(outOfRange)), outOfRange, 1e-4, "final");
  });

  it("rejects impossible step counts", () => {
    const config = CONFIGS["sd leading"]!;
    expect(() => createScheduler(name, config, 0)).toThrow(/steps/);
    expect(() => createScheduler(name, config, 1001)).toThrow(/steps/);
    expect(() => createScheduler(name, config, 2.5)).toThrow(/steps/);
  });

  it("step returns a new array and leaves its inputs alone", () => {
    const scheduler = createScheduler(name, CONFIGS["sd leading"]!, 5);
    const x = scheduler.initNoise(gaussianNoise(1)(6));
    const before = Array.from(x);
    const input = scheduler.modelInput(x, 0);
    const { alpha, sigma } = scheduler.point(0);
    const out = scheduler.step(x, perfect(TARGET)(input, alpha, sigma), 0, gaussianNoise(2));
    expect(out).not.toBe(x);
    expect(Array.from(x)).toEqual(before);
  });
});

describe("scheduler specifics", () => {
  it("ddim without set_alpha_to_one ends on alphā_0, not on x0", () => {
    const config: SchedulerConfig = { ...CONFIGS["sd leading"]!, set_alpha_to_one: false };
    const scheduler = createScheduler("ddim", config, 10);
    const noise = gaussianNoise(4);
    let x = scheduler.initNoise(noise(TARGET.length));
    let lastEps: Float32Array = new Float32Array(0);
    for (let i = 0; i < 10; i++) {
      const { alpha, sigma } = scheduler.point(i);
      const pred = perfect(TARGET)(x, alpha, sigma);
      lastEps = pred.eps;
      x = scheduler.step(x, pred, i, noise);
    }
    const a0 = alphasCumprod(config)[0]!;
    expectClose(
      x,
      TARGET.map((v, k) => Math.sqrt(a0) * v + Math.sqrt(1 - a0) * lastEps[k]!),
      1e-5,
      "final",
    );
  });

  it("euler_a draws fresh noise: different seeds, different images", () => {
    const model = (x: Float32Array, a: number, s: number) => ({
      x0: x.map((v) => v * 0.3),
      eps: epsFromX0(
        x.map((v) => v * 0.3),
        x,
        a,
        s,
      ),
    });
    const a = sample(createScheduler("euler_a", CONFIGS["sd leading"]!, 8), 1, model);
    const b = sample(createScheduler("euler_a", CONFIGS["sd leading"]!, 8), 2, model);
    expect(Array.from(a)).not.toEqual(Array.from(b));
  });

  it("dpmpp_2m refuses out-of-order steps (one instance per image)", () => {
    const scheduler = createScheduler("dpmpp_2m", CONFIGS["sd leading"]!, 5);
    const x = scheduler.initNoise(gaussianNoise(1)(6));
    const pred = perfect(TARGET)(x, scheduler.point(0).alpha, scheduler.point(0).sigma);
    const x1 = scheduler.step(x, pred, 0, gaussianNoise(1));
    expect(() => scheduler.step(x1, pred, 2, gaussianNoise(1))).toThrow(/one scheduler per image/);
    expect(() => scheduler.step(x, pred, 0, gaussianNoise(1))).not.toThrow(); // step 0 restarts
  });

  it("the Euler family feeds the model x/√(σ²+1)", () => {
    for (const name of ["euler", "euler_a"] as const) {
      const scheduler = createScheduler(name, CONFIGS["sd leading"]!, 10);
      const x = Float32Array.from([10, -20]);
      const { alpha, sigma } = scheduler.point(3);
      const sigmaVe = sigma / alpha;
      expectClose(
        scheduler.modelInput(x, 3),
        [10 / Math.sqrt(sigmaVe ** 2 + 1), -20 / Math.sqrt(sigmaVe ** 2 + 1)],
        1e-6,
      );
    }
  });
});
