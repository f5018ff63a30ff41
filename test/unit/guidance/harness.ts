// Test helpers for guidance policies: a fixed step context, deterministic fake branch outputs,
// and a driver that runs a policy over a whole trajectory counting NFEs.
import { type Guidance, GuidanceSchema } from "@guidegate/shared";
import type { BranchOutputs, GuidancePolicy, StepContext } from "../../../gpu-worker/src/guidance/types.ts";
import type { Prediction } from "../../../gpu-worker/src/schedulers/types.ts";

/** α = 0.6, σ = 0.8, x = 0.6 everywhere: ε = 0.75·(1 − x0) and x0 = 1 − ε/0.75, easy by hand. */
export function handContext(step: number, steps = 10, length = 4): StepContext {
  return {
    step,
    steps,
    timestep: 999 - step,
    alpha: 0.6,
    sigma: 0.8,
    x: new Float32Array(length).fill(0.6),
    sampler: "ddim",
  };
}

/** A small deterministic hash → [-1, 1), so fake outputs depend only on (step, branch, element). */
function fake(step: number, branch: number, k: number, salt: number): number {
  let h = Math.imul(step + 1, 0x9e3779b1) ^ Math.imul(branch + 7, 0x85ebca6b) ^ Math.imul(k + 13, 0xc2b2ae35) ^ salt;
  h = Math.imul(h ^ (h >>> 15), 0x2c1b3c6d);
  h ^= h >>> 12;
  return ((h >>> 0) / 4294967296) * 2 - 1;
}

const BRANCH_ID = { cond: 0, uncond: 1, perturbed: 2 } as const;

export function fakeOutputs(ctx: StepContext, branches: readonly string[], salt = 0): BranchOutputs {
  const out: BranchOutputs = {};
  for (const b of branches) {
    const id = BRANCH_ID[b as keyof typeof BRANCH_ID];
    out[b as keyof BranchOutputs] = Float32Array.from(ctx.x, (_, k) => fake(ctx.step, id, k, salt));
  }
  return out;
}

/** A context whose x and (α, σ) vary by step, for whole-trajectory runs. */
export function runContext(step: number, steps: number, length = 8): StepContext {
  const alpha = 0.05 + (0.9 * (step + 1)) / (steps + 1);
  return {
    step,
    steps,
    timestep: Math.round(999 * (1 - step / steps)),
    alpha,
    sigma: Math.sqrt(1 - alpha * alpha),
    x: Float32Array.from({ length }, (_, k) => fake(step, 9, k, 77)),
    sampler: "ddim",
  };
}

export interface RunResult {
  nfe: number;
  extrasPerStep: number[];
  predictions: Prediction[];
}

/** Runs `steps` steps with fake outputs, counting the branches the policy asks for. */
export function runPolicy(policy: GuidancePolicy, steps: number, salt = 0): RunResult {
  let nfe = 0;
  const extrasPerStep: number[] = [];
  const predictions: Prediction[] = [];
  for (let i = 0; i < steps; i++) {
    const ctx = runContext(i, steps);
    const branches = policy.branches(ctx);
    nfe += branches.length;
    extrasPerStep.push(branches.filter((b) => b !== "cond").length);
    predictions.push(policy.combine(ctx, fakeOutputs(ctx, branches, salt)));
  }
  return { nfe, extrasPerStep, predictions };
}

/** Parsed (defaulted) guidance, as the worker receives it; throws on a parameter the policy lacks. */
export function guidanceOf(policy: Guidance["policy"], params: object = {}): Guidance {
  return GuidanceSchema.parse({ ...params, policy });
}
