// calibrate's parts that need the shapes checker (`npm run calibrate -- --model models/shapes-32
// [--scheduler ddim] [--steps 20] [--only ag,apg]`; the flags are in calibrate-args.ts). Measures,
// for one model / scheduler / step count, what the guidance policies should use and stores it beside the model in calibration.json (the worker loads it as defaults):
//  - the best CFG scale (adherence on calibration prompts, never the held-out eval set);
//  - LinearAG's per-step coefficients: OLS of u_i on (c_i, c_{i-1}, u_{i-1}) over full-CFG trajectories;
//  - AG's truncation threshold and post-latch rule: the cheapest pair within 1 point of CFG (on
//    --ag-prompts prompts, 512 by default);
//  - CFG++'s λ: the best of a sweep over [0, 1];
//  - APG's norm threshold r at twice the best CFG scale: the best of no clamp and quantiles of the
//    guidance difference ‖D_c − D_u‖ (x0 space) seen on full-CFG trajectories.
// Every run is the worker's production loop in its runtime thread; the trajectories' branch outputs
// and guidance norms come back as the loop's per-step recording.
import { existsSync, readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { calibrationPrompts, checkPrompt, mapConcurrent, openBench, pct } from "@guidegate/eval";
import type { LinearAgCoefficients, ModelGuidanceDefaults, RecordOptions, Recording } from "@guidegate/gpu-worker";
import { AG_AFTER_LATCH, type AgAfterLatch, type GuidanceInput, type SchedulerName } from "@guidegate/shared";
import { calibrateArgs } from "./calibrate-args.ts";
import { type BranchTrace, fitLinearAg, traceOf } from "./linear-ag-fit.ts";

const { values, dir, parts } = calibrateArgs;
const scheduler = values.scheduler as SchedulerName;
const steps = Number(values.steps);
const path = join(dir, "calibration.json");
const previous = (existsSync(path) ? JSON.parse(readFileSync(path, "utf8")) : {}) as ModelGuidanceDefaults & {
  measured?: Record<string, Record<string, unknown>>;
};
// Calibrate against the defaults as they are now, and never let a stale file steer the measurement.
const b = await openBench(dir, undefined, {
  defaults: {
    ...previous,
    ag_threshold: undefined,
    ag_after_latch: undefined,
    apg_norm_threshold: undefined,
    cfgpp_scale: undefined,
  },
});
const items = calibrationPrompts(b.vocabulary, Number(values.prompts), b.items);
const agItems = calibrationPrompts(b.vocabulary, Number(values["ag-prompts"]), b.items);
console.log(
  `calibrating ${[...parts].join(", ")} of ${b.model.name}: ${scheduler} ${steps} steps on ${items.length} calibration prompts (${agItems.length} for AG)`,
);

interface Run {
  adherence: number;
  nfe: number;
}
/** Each prompt of `on` under `guidance`: all attributes right, NFEs, and what `record` asked the loop to record. */
function generateAll(
  guidance: GuidanceInput,
  on: typeof items,
  record?: RecordOptions,
): Promise<Array<{ ok: boolean; nfe: number; recording: Recording }>> {
  return mapConcurrent(on, 16, async (it) => {
    const out = await b.model.generate(
      { prompt: it.prompt, n: 1, steps, scheduler, seed: it.seed, guidance, ...(record ? { record } : {}) },
      () => {},
    );
    return {
      ok: checkPrompt(out.images[0]!, it, b.vocabulary).all,
      nfe: out.nfe,
      recording: out.recordings?.[0] ?? {},
    };
  });
}
async function run(guidance: GuidanceInput, on = items): Promise<Run> {
  const res = await generateAll(guidance, on);
  return {
    adherence: res.filter((r) => r.ok).length / res.length,
    nfe: res.reduce((s, r) => s + r.nfe, 0) / res.length,
  };
}

// 1. Best CFG scale (or the stored one when not recalibrated).
let best = { scale: previous.scale ?? 0, adherence: -1, nfe: 0 };
for (const scale of parts.has("scale") ? values.scales!.split(",").map(Number) : []) {
  const r = await run({ policy: "cfg", scale });
  console.log(`  CFG ${scale}: ${pct(r.adherence)}`);
  if (r.adherence > best.adherence) best = { scale, ...r };
}
if (!best.scale) throw new Error("no CFG scale: calibrate with --only including scale first");
console.log(
  `${parts.has("scale") ? "best" : "stored"} CFG scale ${best.scale}${parts.has("scale") ? ` (${pct(best.adherence)})` : ""}`,
);

// 2. LinearAG: record full-CFG trajectories, fit u_i ≈ a·c_i + b·c_{i-1} + d·u_{i-1} per step.
const traces: BranchTrace[] = [];
const diffNorms: number[] = []; // ‖D_c − D_u‖ per step in x0 space, clipped like the sampler (for APG)
if (parts.has("linear_ag") || parts.has("apg")) {
  const runs = await generateAll({ policy: "cfg", scale: best.scale }, items, {
    branches: parts.has("linear_ag"),
    guidanceNorm: parts.has("apg"),
  });
  for (const { recording: r } of runs) {
    traces.push(traceOf(r));
    for (const norm of r.guidanceNorm ?? []) if (norm !== null) diffNorms.push(norm);
  }
}
const coefficients: LinearAgCoefficients = parts.has("linear_ag")
  ? fitLinearAg(traces, steps, best.scale)
  : { scale: best.scale, steps: [] };
if (parts.has("linear_ag"))
  console.log(
    `LinearAG coefficients: ${coefficients.steps.map((s) => (s ? s.map((v) => v.toFixed(3)).join("/") : "-")).join(" ")}`,
  );

// 3. AG: for each post-latch rule, sweep the threshold from late truncation to early; keep the
// cheapest (rule, threshold) within 1 point of CFG, the paper's rule on a tie.
interface AgChoice extends Run {
  threshold: number;
  afterLatch: AgAfterLatch;
}
const agBest: Partial<Record<AgAfterLatch, AgChoice>> = {};
const agCfg = parts.has("ag") ? await run({ policy: "cfg", scale: best.scale }, agItems) : null;
if (agCfg) console.log(`  CFG ${best.scale} on the AG prompts: ${pct(agCfg.adherence)}`);
for (const afterLatch of agCfg ? AG_AFTER_LATCH : []) {
  // AG's statistic is a centred cosine (see ag.ts); on shapes-32 it spans 0.95..0.9999 over steps 4..19.
  for (const threshold of [
    0.9999, 0.9995, 0.999, 0.998, 0.997, 0.996, 0.995, 0.994, 0.993, 0.992, 0.991, 0.99, 0.985, 0.98, 0.97, 0.95,
  ]) {
    const r = await run({ policy: "ag", scale: best.scale, threshold, after_latch: afterLatch }, agItems);
    console.log(`  AG ${afterLatch} threshold ${threshold}: ${pct(r.adherence)} at ${r.nfe.toFixed(1)} NFE/image`);
    const kept = agBest[afterLatch];
    if (r.adherence >= agCfg!.adherence - 0.01 && (!kept || r.nfe <= kept.nfe))
      agBest[afterLatch] = { threshold, afterLatch, ...r };
  }
}
const agRun = AG_AFTER_LATCH.map((k) => agBest[k]).reduce<AgChoice | undefined>(
  (a, c) => (c && (!a || c.nfe < a.nfe) ? c : a),
  undefined,
);
if (agCfg)
  console.log(
    `AG ${agRun ? `${agRun.afterLatch} threshold ${agRun.threshold} (${pct(agRun.adherence)} at ${agRun.nfe.toFixed(1)} NFE/image)` : "none within 1 point of CFG: 0.9999 conditional"}`,
  );

// 4. APG at twice the best scale: r from no clamp and the quantiles of the observed difference norms.
const sorted = [...diffNorms].sort((x, y) => x - y);
const quantile = (q: number) => sorted[Math.min(sorted.length - 1, Math.floor(q * sorted.length))]!;
const apgScale = 2 * best.scale;
let apg = { r: 0, adherence: -1 };
for (const r of parts.has("apg") ? [0, ...[0.9, 0.75, 0.5, 0.25, 0.1].map(quantile)] : []) {
  const res = await run({ policy: "apg", scale: apgScale, norm_threshold: r });
  console.log(`  APG ${apgScale} r ${r.toFixed(3)}: ${pct(res.adherence)}`);
  if (res.adherence > apg.adherence) apg = { r, adherence: res.adherence }; // ties keep the weaker clamp
}
if (parts.has("apg"))
  console.log(`APG norm threshold ${apg.r.toFixed(3)} (${pct(apg.adherence)} at scale ${apgScale})`);

// 5. CFG++'s λ ∈ [0, 1]: the best on the calibration prompts (the CFG-scale/12.5 rule is for SD's w ≈ 7.5).
let cfgpp = { lambda: 0, adherence: -1, nfe: 0 };
for (const lambda of parts.has("cfgpp") ? [0.2, 0.4, 0.6, 0.8, 1] : []) {
  const res = await run({ policy: "cfgpp", scale: lambda });
  console.log(`  CFG++ λ ${lambda}: ${pct(res.adherence)}`);
  if (res.adherence > cfgpp.adherence) cfgpp = { lambda, ...res };
}
if (parts.has("cfgpp")) console.log(`CFG++ λ ${cfgpp.lambda} (${pct(cfgpp.adherence)})`);

const key = `${scheduler}:${steps}`;
const date = new Date().toISOString().slice(0, 10);
const measured = { ...(previous.measured?.[key] ?? {}) };
const next: typeof previous = { ...previous, scale: best.scale };
if (parts.has("scale"))
  Object.assign(measured, { prompts: items.length, cfg: { scale: best.scale, adherence: best.adherence }, date });
if (parts.has("linear_ag")) next.linear_ag = { ...(previous.linear_ag ?? {}), [key]: coefficients };
if (parts.has("ag")) {
  next.ag_threshold = agRun?.threshold ?? 0.9999;
  next.ag_after_latch = agRun?.afterLatch ?? "conditional";
  Object.assign(measured, { ag: { prompts: agItems.length, cfg: agCfg, ...agRun }, ag_by_rule: agBest, ag_date: date });
}
if (parts.has("apg")) {
  next.apg_norm_threshold = Number(apg.r.toFixed(4));
  Object.assign(measured, { apg: { scale: apgScale, ...apg } });
}
if (parts.has("cfgpp")) {
  next.cfgpp_scale = cfgpp.lambda;
  Object.assign(measured, { cfgpp });
}
next.measured = { ...(previous.measured ?? {}), [key]: measured };
writeFileSync(path, `${JSON.stringify(next, null, 2)}\n`);
console.log(`wrote ${path}`);
await b.close();
