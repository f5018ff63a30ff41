// parseSchedulerConfig defaults and validation; the seeded noise source; toEpsAndX0.
import { describe, expect, it } from "vitest";
import {
  epsFromX0,
  gaussianNoise,
  parseSchedulerConfig,
  toEpsAndX0,
  x0FromEps,
} from "../../../gpu-worker/src/schedulers/index.ts";
import { roundHalfEven } from "../../../gpu-worker/src/schedulers/schedule.ts";
import { expectClose } from "./harness.ts";

describe("parseSchedulerConfig", () => {
  it("fills diffusers defaults for absent fields", () => {
    expect(parseSchedulerConfig({})).toEqual({
      num_train_timesteps: 1000,
      beta_start: 0.0001,
      beta_end: 0.02,
      beta_schedule: "linear",
      prediction_type: "epsilon",
      steps_offset: 0,
      clip_sample: false,
      clip_sample_range: 1,
      set_alpha_to_one: true,
    });
  });

  it("reads an SD1.5 config (no prediction_type, no timestep_spacing)", () => {
    const config = parseSchedulerConfig(
      JSON.stringify({
        _class_name: "PNDMScheduler",
        beta_start: 0.00085,
        beta_end: 0.012,
        beta_schedule: "scaled_linear",
        num_train_timesteps: 1000,
        steps_offset: 1,
        skip_prk_steps: true,
        set_alpha_to_one: false,
        clip_sample: false,
        trained_betas: null,
      }),
    );
    expect(config.prediction_type).toBe("epsilon");
    expect(config.timestep_spacing).toBeUndefined();
    expect(config.steps_offset).toBe(1);
    expect(config.set_alpha_to_one).toBe(false);
  });

  it("clip_sample defaults to true only for DDIM, as in diffusers", () => {
    expect(parseSchedulerConfig({ _class_name: "DDIMScheduler" }).clip_sample).toBe(true);
    expect(parseSchedulerConfig({}, "ddim").clip_sample).toBe(true);
    expect(parseSchedulerConfig({ _class_name: "DDIMScheduler" }, "euler").clip_sample).toBe(false);
    expect(parseSchedulerConfig({ clip_sample: false }, "ddim").clip_sample).toBe(false);
  });

  it("keeps timestep_spacing and the eta extension", () => {
    const config = parseSchedulerConfig({ timestep_spacing: "trailing", eta: 0.3 });
    expect(config.timestep_spacing).toBe("trailing");
    expect(config.eta).toBe(0.3);
  });

  it("rejects what it cannot reproduce", () => {
    expect(() => parseSchedulerConfig({ beta_schedule: "sigmoid" })).toThrow(/beta_schedule/);
    expect(() => parseSchedulerConfig({ prediction_type: "flow" })).toThrow(/prediction_type/);
    expect(() => parseSchedulerConfig({ timestep_spacing: "karras" })).toThrow(/timestep_spacing/);
    expect(() => parseSchedulerConfig({ trained_betas: [0.1] })).toThrow(/trained_betas/);
    expect(() => parseSchedulerConfig({ rescale_betas_zero_snr: true })).toThrow(/zero_snr/);
    expect(() => parseSchedulerConfig([])).toThrow(/object/);
  });
});

describe("gaussianNoise", () => {
  it("is deterministic per seed and continues its stream", () => {
    const a = gaussianNoise(42);
    const b = gaussianNoise(42);
    const first = a(5);
    expect(Array.from(b(5))).toEqual(Array.from(first));
    expect(Array.from(a(5))).toEqual(Array.from(b(5)));
    expect(Array.from(a(5))).not.toEqual(Array.from(first));
  });

  it("differs across seeds, including 0 and 2^32 − 1", () => {
    const seeds = [0, 1, 2, 0xffffffff];
    const draws = seeds.map((s) => Array.from(gaussianNoise(s)(4)).join());
    expect(new Set(draws).size).toBe(seeds.length);
  });

  it("looks standard normal", () => {
    const n = 200_000;
    const z = gaussianNoise(9)(n);
    let sum = 0;
    let sq = 0;
    let beyond2 = 0;
    for (const v of z) {
      sum += v;
      sq += v * v;
      if (Math.abs(v) > 2) beyond2++;
    }
    expect(sum / n).toBeCloseTo(0, 2);
    expect(sq / n).toBeCloseTo(1, 1);
    expect(beyond2 / n).toBeCloseTo(0.0455, 2);
    expect(z.every(Number.isFinite)).toBe(true);
  });
});

describe("toEpsAndX0", () => {
  const x = Float32Array.from([0.6, -0.2, 1.0]);
  const alpha = 0.6;
  const sigma = 0.8;
  const out = Float32Array.from([0.5, 0.25, -1]);

  it("epsilon: x0 = (x − σε)/α", () => {
    const p = toEpsAndX0(out, x, alpha, sigma, "epsilon");
    expectClose(p.eps, out, 1e-7);
    expectClose(p.x0, [(0.6 - 0.4) / 0.6, (-0.2 - 0.2) / 0.6, (1 + 0.8) / 0.6], 1e-6);
  });

  it("v_prediction: x0 = αx − σv, ε = σx + αv", () => {
    const p = toEpsAndX0(out, x, alpha, sigma, "v_prediction");
    expectClose(p.x0, [0.36 - 0.4, -0.12 - 0.2, 0.6 + 0.8], 1e-6);
    expectClose(p.eps, [0.48 + 0.3, -0.16 + 0.15, 0.8 - 0.6], 1e-6);
  });

  it("sample: ε = (x − αx0)/σ", () => {
    const p = toEpsAndX0(out, x, alpha, sigma, "sample");
    expectClose(p.x0, out, 1e-7);
    expectClose(p.eps, [(0.6 - 0.3) / 0.8, (-0.2 - 0.15) / 0.8, (1 + 0.6) / 0.8], 1e-6);
  });

  it("every type gives a consistent pair", () => {
    for (const type of ["epsilon", "v_prediction", "sample"] as const) {
      const p = toEpsAndX0(out, x, alpha, sigma, type);
      expectClose(epsFromX0(p.x0, x, alpha, sigma), p.eps, 1e-5);
      expectClose(x0FromEps(p.eps, x, alpha, sigma), p.x0, 1e-5);
    }
  });
});

describe("roundHalfEven", () => {
  it("rounds like numpy", () => {
    expect([0.5, 1.5, 2.5, 812.5, 937.5, 2.4, 2.6, -0.5, -1.5].map(roundHalfEven)).toEqual([
      0, 2, 2, 812, 938, 2, 3, 0, -2,
    ]);
  });
});
