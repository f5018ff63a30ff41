// `npm run calibrate -- --model models/shapes-32 [--scheduler ddim] [--steps 20]`
// Measures, for one model / scheduler / step count, what the guidance policies should use
// and stores it beside the model in calibration.json (the worker loads it as defaults):
//  - the best CFG scale (adherence on calibration prompts, never the held-out eval set);
//  - LinearAG's per-step coefficients: OLS of u_i on (c_i, c_{i-1}, u_{i-1}) over full-CFG trajectories;
//  - AG's truncation threshold and post-latch rule: the cheapest pair within 1 point of CFG;
//  - CFG++'s λ: the best of a sweep over [0, 1];
//  - APG's norm threshold r at twice the best CFG scale: the best of no clamp and quantiles of the
//    guidance difference ‖D_c − D_u‖ (x0 space) seen on full-CFG trajectories.
import { existsSync, readFileSync, writeFileSync } from "node:fs";
import { join, resolve } from "node:path";
import { parseArgs } from "node:util";
import { AG_AFTER_LATCH, type AgAfterLatch, type Guidance, linearAgUncondStep, type SchedulerName } from "@guidegate/shared";
import type { GuidancePolicy, LinearAgCoefficients, ModelGuidanceDefaults } from "../gpu-worker/src/guidance/types.ts";
import { x0Of } from "../gpu-worker/src/guidance/convert.ts";
import { clipX0 } from "../gpu-worker/src/schedulers/prediction.ts";
import { checkPrompt } from "../gpu-worker/src/models/shapes/checker.ts";
import { generate } from "../gpu-worker/src/pipeline/generate.ts";
import { mapConcurrent, openBench, pct } from "../bench/lib/evaluate.ts";
import { calibrationPrompts } from "./lib/calibration-prompts.ts";
import { solveLeastSquares } from "./lib/least-squares.ts";

const { values } = parseArgs({
  options: {
    model: { type: "string", default: "models/shapes-32" },
    scheduler: { type: "string", default: "ddim" },
    steps: { type: "string", default: "20" },
    prompts: { type: "string", default: "192" },
    scales: { type: "string", default: "1.5,2,2.5,3,3.5,4,5" },
  },
});
const dir = resolve(values.model!);
const scheduler = values.scheduler as SchedulerName;
const steps = Number(values.steps);
const b = await openBench(dir);
// Calibrate against the defaults as they are now, and never let a stale file steer the measurement.
b.model.defaults.ag_threshold = undefined;
b.model.defaults.ag_after_latch = undefined;
b.model.defaults.apg_norm_threshold = undefined;
b.model.defaults.cfgpp_scale = undefined;
const items = calibrationPrompts(b.vocabulary, Number(values.prompts), b.model.manifest?.eval ?? []);
console.log(`calibrating ${b.model.name}: ${scheduler} ${steps} steps on ${items.length} calibration prompts`);

interface Run {
  adherence: number;
  nfe: number;
}
async function run(guidance: Guidance, wrap?: (p: GuidancePolicy, k: number, item: number) => GuidancePolicy): Promise<Run> {
  const res = await mapConcurrent(items, 16, async (it, idx) => {
    const out = await generate(b.model, b.batcher, { prompt: it.prompt, n: 1, steps, scheduler, seed: it.seed, guidance, wrapPolicy: wrap ? (p, k) => wrap(p, k, idx) : undefined }, () => {});
    return { ok: checkPrompt(out.images[0]!, it, b.vocabulary).all, nfe: out.nfe };
  });
  return { adherence: res.filter((r) => r.ok).length / res.length, nfe: res.reduce((s, r) => s + r.nfe, 0) / res.length };
}

// 1. Best CFG scale.
let best = { scale: 0, adherence: -1, nfe: 0 };
for (const scale of values.scales!.split(",").map(Number)) {
  const r = await run({ policy: "cfg", scale });
  console.log(`  CFG ${scale}: ${pct(r.adherence)}`);
  if (r.adherence > best.adherence) best = { scale, ...r };
}
console.log(`best CFG scale ${best.scale} (${pct(best.adherence)})`);

// 2. LinearAG: record full-CFG trajectories, fit u_i ≈ a·c_i + b·c_{i-1} + d·u_{i-1} per step.
const traces: Array<Array<{ c: Float32Array; u: Float32Array }>> = items.map(() => []);
const diffNorms: number[] = []; // ‖D_c − D_u‖ per step in x0 space, clipped like the sampler (for APG)
await run({ policy: "cfg", scale: best.scale }, (policy, _k, item) => ({
  name: policy.name,
  branches: (ctx) => policy.branches(ctx),
  combine(ctx, out) {
    traces[item]![ctx.step] = { c: out.cond!, u: out.uncond! };
    const dc = clipX0(x0Of(out.cond!, ctx), ctx.clip !== undefined, ctx.clip ?? 1);
    const du = clipX0(x0Of(out.uncond!, ctx), ctx.clip !== undefined, ctx.clip ?? 1);
    let sq = 0;
    for (let k = 0; k < dc.length; k++) sq += (dc[k]! - du[k]!) ** 2;
    diffNorms.push(Math.sqrt(sq));
    return policy.combine(ctx, out);
  },
}));
const coefficients: LinearAgCoefficients = { scale: best.scale, steps: [] };
for (let i = 0; i < steps; i++) {
  if (i === 0 || linearAgUncondStep(i, steps)) {
    coefficients.steps.push(null);
    continue;
  }
  const rows: number[][] = [];
  const target: number[] = [];
  for (const tr of traces) {
    const now = tr[i]!;
    const prev = tr[i - 1]!;
    for (let k = 0; k < now.c.length; k++) {
      rows.push([now.c[k]!, prev.c[k]!, prev.u[k]!]);
      target.push(now.u[k]!);
    }
  }
  const [a, bb, d] = solveLeastSquares(rows, target);
  coefficients.steps.push([a!, bb!, d!]);
}
console.log(`LinearAG coefficients: ${coefficients.steps.map((s) => (s ? s.map((v) => v.toFixed(3)).join("/") : "-")).join(" ")}`);

// 3. AG: for each post-latch rule, sweep the threshold from late truncation to early; keep the
// cheapest (rule, threshold) within 1 point of CFG, the paper's rule on a tie.
interface AgChoice extends Run {
  threshold: number;
  afterLatch: AgAfterLatch;
}
const agBest: Partial<Record<AgAfterLatch, AgChoice>> = {};
for (const afterLatch of AG_AFTER_LATCH) {
  // AG's statistic is a centred cosine (see ag.ts); on shapes-32 it spans 0.95..0.9999 over steps 4..19.
  for (const threshold of [0.9999, 0.9995, 0.999, 0.998, 0.997, 0.996, 0.995, 0.994, 0.993, 0.992, 0.991, 0.99, 0.985, 0.98, 0.97, 0.95]) {
    const r = await run({ policy: "ag", scale: best.scale, threshold, after_latch: afterLatch });
    console.log(`  AG ${afterLatch} threshold ${threshold}: ${pct(r.adherence)} at ${r.nfe.toFixed(1)} NFE/image`);
    const kept = agBest[afterLatch];
    if (r.adherence >= best.adherence - 0.01 && (!kept || r.nfe <= kept.nfe)) agBest[afterLatch] = { threshold, afterLatch, ...r };
  }
}
const agRun = AG_AFTER_LATCH.map((k) => agBest[k]).reduce<AgChoice | undefined>((a, c) => (c && (!a || c.nfe < a.nfe) ? c : a), undefined);
console.log(
  `AG ${agRun ? `${agRun.afterLatch} threshold ${agRun.threshold} (${pct(agRun.adherence)} at ${agRun.nfe.toFixed(1)} NFE/image)` : "none within 1 point of CFG: 0.9999 conditional"}`,
);

// 4. APG at twice the best scale: r from no clamp and the quantiles of the observed difference norms.
const sorted = [...diffNorms].sort((x, y) => x - y);
const quantile = (q: number) => sorted[Math.min(sorted.length - 1, Math.floor(q * sorted.length))]!;
const apgScale = 2 * best.scale;
let apg = { r: 0, adherence: -1 };
for (const r of [0, ...[0.9, 0.75, 0.5, 0.25, 0.1].map(quantile)]) {
  const res = await run({ policy: "apg", scale: apgScale, norm_threshold: r });
  console.log(`  APG ${apgScale} r ${r.toFixed(3)}: ${pct(res.adherence)}`);
  if (res.adherence > apg.adherence) apg = { r, adherence: res.adherence }; // ties keep the weaker clamp
}
console.log(`APG norm threshold ${apg.r.toFixed(3)} (${pct(apg.adherence)} at scale ${apgScale})`);

// 5. CFG++'s λ ∈ [0, 1]: the best on the calibration prompts (the CFG-scale/12.5 rule is for SD's w ≈ 7.5).
let cfgpp = { lambda: 0, adherence: -1, nfe: 0 };
for (const lambda of [0.2, 0.4, 0.6, 0.8, 1]) {
  const res = await run({ policy: "cfgpp", scale: lambda });
  console.log(`  CFG++ λ ${lambda}: ${pct(res.adherence)}`);
  if (res.adherence > cfgpp.adherence) cfgpp = { lambda, ...res };
}
console.log(`CFG++ λ ${cfgpp.lambda} (${pct(cfgpp.adherence)})`);

const path = join(dir, "calibration.json");
const previous = (existsSync(path) ? JSON.parse(readFileSync(path, "utf8")) : {}) as ModelGuidanceDefaults & { measured?: Record<string, unknown> };
const key = `${scheduler}:${steps}`;
const next = {
  ...previous,
  scale: best.scale,
  ag_threshold: agRun?.threshold ?? 0.9999,
  ag_after_latch: agRun?.afterLatch ?? "conditional",
  cfgpp_scale: cfgpp.lambda,
  apg_norm_threshold: Number(apg.r.toFixed(4)),
  linear_ag: { ...(previous.linear_ag ?? {}), [key]: coefficients },
  measured: {
    ...(previous.measured ?? {}),
    [key]: { prompts: items.length, cfg: { scale: best.scale, adherence: best.adherence }, ag: agRun, ag_by_rule: agBest, apg: { scale: apgScale, ...apg }, cfgpp, date: new Date().toISOString().slice(0, 10) },
  },
};
writeFileSync(path, `${JSON.stringify(next, null, 2)}\n`);
console.log(`wrote ${path}`);
await b.close();
