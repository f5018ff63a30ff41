// Fingerprints of whole preset runs, to hold the presets bit-identical across refactors: each
// preset runs many parameter sets, step counts and NFE caps on fake outputs, and every bit of
// every prediction (x0 and ε) and every branch list is folded into one FNV-1a hash per preset.
import type { GuidanceInput, PolicyName } from "@guidegate/shared";
import { withNfeCap } from "../../../gpu-worker/src/guidance/capped.ts";
import { createPolicy } from "../../../gpu-worker/src/guidance/index.ts";
import type { GuidancePolicy, ModelGuidanceDefaults, StepContext } from "../../../gpu-worker/src/guidance/types.ts";
import { fakeOutputs, runContext } from "./harness.ts";

/** mulberry32: a fixed generator, so the parameter sets never depend on a library's version. */
function generator(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

type Draw = () => number;
const between = (r: Draw, lo: number, hi: number) => lo + (hi - lo) * r();
const maybe = <T>(r: Draw, v: () => T): T | undefined => (r() < 0.7 ? v() : undefined);

/** Random parameters per preset, within shared's schema; undefined fields fall to the defaults. */
const PARAMS: Record<PolicyName, (r: Draw) => object> = {
  none: () => ({}),
  cfg: (r) => ({ scale: maybe(r, () => between(r, 0, 12)), rescale: maybe(r, () => r()) }),
  ag: (r) => ({
    scale: maybe(r, () => between(r, 0, 12)),
    threshold: maybe(r, () => between(r, 0.5, 1)),
    after_latch: maybe(r, () => (r() < 0.5 ? "conditional" : "reuse")),
  }),
  linear_ag: (r) => ({ scale: maybe(r, () => between(r, 0, 12)) }),
  apg: (r) => ({
    scale: maybe(r, () => between(r, 0, 20)),
    eta: maybe(r, () => r()),
    norm_threshold: maybe(r, () => between(r, 0, 3)),
    momentum: maybe(r, () => between(r, -0.99, 0)),
  }),
  cfgpp: (r) => ({ scale: maybe(r, () => r()) }),
  pag: (r) => ({ scale: maybe(r, () => between(r, 0, 6)), pag_scale: maybe(r, () => between(r, 0, 10)) }),
  interval: (r) => ({ scale: maybe(r, () => between(r, 0, 12)), start: maybe(r, () => r()), end: maybe(r, () => r()) }),
  cfg_zero_star: (r) => ({
    scale: maybe(r, () => between(r, 0, 12)),
    zero_init_steps: maybe(r, () => Math.floor(between(r, 0, 5))),
  }),
};

/** Calibrated defaults, including LinearAG coefficients for ddim:12 (with gaps, as calibrate writes). */
function calibrated(r: Draw): ModelGuidanceDefaults {
  const coefficients = Array.from({ length: 12 }, () =>
    r() < 0.6 ? ([between(r, 0, 2), between(r, -1, 0), between(r, 0, 1.5)] as [number, number, number]) : null,
  );
  return {
    scale: between(r, 1, 8),
    cfgpp_scale: r() < 0.5 ? r() : undefined,
    apg_norm_threshold: between(r, 0.2, 3),
    ag_threshold: between(r, 0.3, 1),
    ag_after_latch: r() < 0.5 ? "reuse" : "conditional",
    linear_ag: { "ddim:12": { scale: between(r, 1, 6), steps: coefficients } },
  };
}

function fnv(hash: number, word: number): number {
  let h = hash;
  for (let shift = 0; shift < 32; shift += 8) {
    h ^= (word >>> shift) & 0xff;
    h = Math.imul(h, 0x01000193);
  }
  return h >>> 0;
}

function fold(hash: number, values: Float32Array): number {
  const words = new Uint32Array(values.buffer, values.byteOffset, values.length);
  let h = hash;
  for (const w of words) h = fnv(h, w);
  return h;
}

const BRANCH_CODE = { cond: 1, uncond: 2, perturbed: 3 } as const;

/** A run context with clipping and two channels on some runs, which APG and AG read. */
function context(step: number, steps: number, variant: number): StepContext {
  const ctx = runContext(step, steps);
  return variant % 2 === 1 ? { ...ctx, clip: 1, channels: 2 } : ctx;
}

function runHash(hash: number, policy: GuidancePolicy, steps: number, variant: number): number {
  let h = hash;
  for (let i = 0; i < steps; i++) {
    const ctx = context(i, steps, variant);
    const branches = policy.branches(ctx);
    h = fnv(h, branches.length);
    for (const b of branches) h = fnv(h, BRANCH_CODE[b]);
    const out = fakeOutputs(ctx, branches, variant);
    // Some steps lose their extra branches, as a cap or a failed row would leave them.
    if (variant % 3 === 2 && i % 3 === 1) {
      delete out.uncond;
      delete out.perturbed;
    }
    const pred = policy.combine(ctx, out);
    h = fold(fold(h, pred.x0), pred.eps);
  }
  return h;
}

/** One hash per preset over `cases` random parameter sets, each run uncapped and capped. */
export function presetFingerprint(name: PolicyName, cases = 60): string {
  const r = generator(0x5eed + name.length * 7919 + name.charCodeAt(0));
  let h = 0x811c9dc5;
  for (let n = 0; n < cases; n++) {
    const guidance = { ...PARAMS[name](r), policy: name } as GuidanceInput;
    const defaults = r() < 0.5 ? calibrated(r) : {};
    const steps = [1, 2, 5, 12, 12, 20][Math.floor(r() * 6)]!;
    const budget = steps + Math.floor(r() * 2 * steps);
    const variant = n;
    h = runHash(h, createPolicy(guidance, defaults, steps, "ddim"), steps, variant);
    h = runHash(h, withNfeCap(createPolicy(guidance, defaults, steps, "ddim"), budget, steps), steps, variant);
  }
  return h.toString(16).padStart(8, "0");
}
