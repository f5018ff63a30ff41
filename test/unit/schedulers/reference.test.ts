// Compares every scheduler with the independent numpy reference in reference/reference.json
// (regenerate with reference/reference.py; tests never run Python).
import { readFileSync } from "node:fs";
import { describe, expect, it } from "vitest";
import type { SchedulerName } from "@guidegate/shared";
import { createScheduler, toEpsAndX0, x0FromEps } from "../../../gpu-worker/src/schedulers/index.ts";
import { alphasCumprod } from "../../../gpu-worker/src/schedulers/schedule.ts";
import { veSchedule } from "../../../gpu-worker/src/schedulers/ve.ts";
import type { BetaSchedule, SchedulerConfig, TimestepSpacing } from "../../../gpu-worker/src/schedulers/types.ts";
import { expectClose, type FixtureConfig, scriptedNoise, toConfig } from "./harness.ts";

interface Fixture {
  x_init: number[];
  noise: number[][];
  c1: number[];
  c2: number[];
  cfgpp_lambda: number;
  alphas_cumprod: Array<{ name: string; betas: FixtureConfig["betas"]; index: number[]; values: number[] }>;
  sd_sigma_max: number;
  sd_sigma_min: number;
  grids: Array<{
    steps: number;
    spacing: TimestepSpacing;
    offset: number;
    ddim: number[];
    euler: number[];
    dpmpp_2m: number[];
    euler_sd_sigmas: number[];
    euler_sd_init_noise_sigma: number;
  }>;
  trajectories: Array<{
    scheduler: SchedulerName;
    label: string;
    cfg: FixtureConfig;
    steps: number;
    init_noise_sigma?: number;
    points: Array<[number, number, number]>;
    xs: number[][];
  }>;
  cfgpp: Array<{ scheduler: SchedulerName; cfg: FixtureConfig; steps: number; xs: number[][] }>;
}

const fixture = JSON.parse(readFileSync(new URL("./reference/reference.json", import.meta.url), "utf8")) as Fixture;
const c1 = Float32Array.from(fixture.c1);
const c2 = Float32Array.from(fixture.c2);
const SD_BETAS = { beta_start: 0.00085, beta_end: 0.012, beta_schedule: "scaled_linear" as const };

// The fixed fake model of reference.py, evaluated on the model input.
const modelEps = (x: Float32Array) => x.map((v, k) => 0.1 * v + 0.05 * c1[k]!);
const modelV = (x: Float32Array) => x.map((v, k) => 0.1 * v - 0.02 * c2[k]!);
const modelUncondEps = (x: Float32Array) => x.map((v, k) => 0.08 * v - 0.03 * c2[k]!);

function sdConfig(spacing: TimestepSpacing, offset: number): SchedulerConfig {
  return toConfig({ betas: SD_BETAS, spacing, offset, set_alpha_to_one: false, prediction: "epsilon" });
}

describe("noise schedule", () => {
  for (const entry of fixture.alphas_cumprod) {
    it(`alphas_cumprod for ${entry.name} (${entry.betas.beta_schedule})`, () => {
      const ac = alphasCumprod({
        num_train_timesteps: 1000,
        ...entry.betas,
        beta_schedule: entry.betas.beta_schedule as BetaSchedule,
      });
      // Relative tolerance: the cosine schedule's last value is ~2e-9.
      entry.index.forEach((t, j) => {
        expect(ac[t]! / entry.values[j]!).toBeCloseTo(1, 9);
      });
    });
  }

  it("matches the documented SD numbers", () => {
    const ac = alphasCumprod({ num_train_timesteps: 1000, ...SD_BETAS });
    expect(ac[999]).toBeCloseTo(0.00466, 6);
    expect(fixture.sd_sigma_max).toBeCloseTo(14.6146, 4);
    const euler = veSchedule("euler", sdConfig("trailing", 0), 50);
    expect(euler.sigmas[0]).toBeCloseTo(14.6146, 4);
    expect(veSchedule("euler", sdConfig("leading", 1), 50).initNoiseSigma).toBeCloseTo(13.158, 3);
  });
});

describe("timestep grids", () => {
  for (const g of fixture.grids) {
    it(`N=${g.steps} ${g.spacing} offset ${g.offset}`, () => {
      const config = sdConfig(g.spacing, g.offset);
      // A grid diffusers would push past t = 999 is rejected instead.
      const stepsOf = (name: SchedulerName) => {
        const s = createScheduler(name, config, g.steps);
        return Array.from({ length: g.steps }, (_, i) => s.point(i).timestep);
      };
      expect(stepsOf("ddim")).toEqual(g.ddim);
      expect(stepsOf("euler")).toEqual(g.euler);
      expect(stepsOf("euler_a")).toEqual(g.euler);
      expect(stepsOf("dpmpp_2m")).toEqual(g.dpmpp_2m);
      const ve = veSchedule("euler", config, g.steps);
      expectClose(ve.sigmas, g.euler_sd_sigmas, 1e-9, "sigmas");
      expect(ve.initNoiseSigma).toBeCloseTo(g.euler_sd_init_noise_sigma, 9);
    });
  }

  it("N=50 leading is 981..1 and trailing is 999..19 for SD", () => {
    const at = (spacing: TimestepSpacing, offset: number) => {
      const s = createScheduler("ddim", sdConfig(spacing, offset), 50);
      return [s.point(0).timestep, s.point(1).timestep, s.point(49).timestep];
    };
    expect(at("leading", 1)).toEqual([981, 961, 1]);
    expect(at("trailing", 0)).toEqual([999, 979, 19]);
  });
});

describe("trajectories with a fixed fake model", () => {
  for (const tr of fixture.trajectories) {
    it(`${tr.scheduler} ${tr.label} N=${tr.steps}`, () => {
      const config = toConfig(tr.cfg);
      const scheduler = createScheduler(tr.scheduler, config, tr.steps);
      const noise = scriptedNoise(fixture.noise);
      let x = scheduler.initNoise(Float32Array.from(fixture.x_init));
      if (tr.init_noise_sigma !== undefined) {
        expectClose(
          x,
          fixture.x_init.map((v) => v * tr.init_noise_sigma!),
          1e-6,
          "initNoise",
        );
      }
      for (let i = 0; i < tr.steps; i++) {
        const pt = scheduler.point(i);
        const [t, alpha, sigma] = tr.points[i]!;
        expect(pt.timestep).toBeCloseTo(t, 3);
        expect(pt.alpha / alpha).toBeCloseTo(1, 9);
        expect(pt.sigma / sigma).toBeCloseTo(1, 9);
        const input = scheduler.modelInput(x, i);
        const output = config.prediction_type === "epsilon" ? modelEps(input) : modelV(input);
        x = scheduler.step(x, toEpsAndX0(output, input, pt.alpha, pt.sigma, config.prediction_type), i, noise);
        expectClose(x, tr.xs[i]!, 2e-5, `step ${i}`);
      }
    });
  }
});

describe("CFG++ predictions (x0 = guided, eps = unconditional) match ComfyUI's cfg_pp samplers", () => {
  const lambda = fixture.cfgpp_lambda;
  for (const tr of fixture.cfgpp) {
    it(`${tr.scheduler} N=${tr.steps}`, () => {
      const scheduler = createScheduler(tr.scheduler, toConfig(tr.cfg), tr.steps);
      const noise = scriptedNoise(fixture.noise);
      let x = scheduler.initNoise(Float32Array.from(fixture.x_init));
      for (let i = 0; i < tr.steps; i++) {
        const { alpha, sigma } = scheduler.point(i);
        const input = scheduler.modelInput(x, i);
        const epsC = modelEps(input);
        const epsU = modelUncondEps(input);
        const epsGuided = epsU.map((u, k) => u + lambda * (epsC[k]! - u));
        x = scheduler.step(x, { x0: x0FromEps(epsGuided, input, alpha, sigma), eps: epsU }, i, noise);
        expectClose(x, tr.xs[i]!, 2e-5, `step ${i}`);
      }
    });
  }
});
