// `npm run bench:guidance`: every guidance policy on the shapes model over the held-out
// prompts: NFE per image, all-attributes adherence, palette distance (artifacts and
// oversaturation), diversity across seeds for one prompt; writes docs/guidance.md and a
// chart of adherence against NFE (docs/guidance-chart.png).
import { writeFileSync } from "node:fs";
import { resolve } from "node:path";
import { diversity, openBench, pct, type Recipe, score } from "@guidegate/eval";
import type { GuidanceInput } from "@guidegate/shared";
import { agCalibration } from "./lib/calibration.ts";
import { adherenceChart } from "./lib/chart.ts";

const b = await openBench();
const steps = 20;
const cal = b.defaults;
const w = cal.scale ?? 2;
const limit = process.env.PROMPTS ? b.items.slice(0, Number(process.env.PROMPTS)) : b.items;
// The paper's post-latch rule (conditional alone) at its own calibrated threshold, for comparison.
const paperThreshold = agCalibration(b.dir, "ddim", steps).byRule.conditional?.threshold;
const r = (label: string, guidance: GuidanceInput, extra: Partial<Recipe> = {}): Recipe => ({
  label,
  guidance,
  steps,
  ...extra,
});
const recipes: Recipe[] = [
  r("none", { policy: "none" }),
  r(`cfg ${w - 0.5}`, { policy: "cfg", scale: w - 0.5 }),
  r(`cfg ${w} (best)`, { policy: "cfg", scale: w }),
  r(`cfg ${w + 1}`, { policy: "cfg", scale: w + 1 }),
  r(`cfg ${2 * w}`, { policy: "cfg", scale: 2 * w }),
  r(`cfg ${w} rescale 0.7`, { policy: "cfg", scale: w, rescale: 0.7 }),
  r("ag (calibrated)", { policy: "ag", scale: w }),
  ...(paperThreshold !== undefined && cal.ag_after_latch !== "conditional"
    ? [
        r(`ag paper rule (calibrated γ̄ ${paperThreshold})`, {
          policy: "ag",
          scale: w,
          threshold: paperThreshold,
          after_latch: "conditional",
        }),
      ]
    : []),
  r("ag threshold 0.99 (community default)", { policy: "ag", scale: w, threshold: 0.99, after_latch: "conditional" }),
  r("linear_ag (calibrated)", { policy: "linear_ag" }),
  r(`apg ${w}`, { policy: "apg", scale: w }),
  r(`apg ${2 * w}`, { policy: "apg", scale: 2 * w }),
  r("cfgpp", { policy: "cfgpp" }),
  r("pag alone (s=3)", { policy: "pag", scale: 1, pag_scale: 3 }),
  r(`pag + cfg ${w}`, { policy: "pag", scale: w, pag_scale: 1 }),
  r(`interval cfg ${w} (0.2-0.8)`, { policy: "interval", scale: w }),
  r(`interval cfg ${w} (0-0.5)`, { policy: "interval", scale: w, start: 0, end: 0.5 }),
  r(`cfg_zero_star ${w}`, { policy: "cfg_zero_star", scale: w }),
  r(`cfg_zero_star ${w}, zero-init 1 step`, { policy: "cfg_zero_star", scale: w, zero_init_steps: 1 }),
  r(`cfg ${w}, max_nfe 30`, { policy: "cfg", scale: w }, { max_nfe: 30 }),
];
const only = process.env.ONLY?.split(",");
const chosen = only ? recipes.filter((x) => only.some((o) => x.label.startsWith(o))) : recipes;

const divPrompt = "a small red circle on a blue background";
const divSeeds = Array.from({ length: 16 }, (_, i) => 9000 + i);
console.log(
  `bench:guidance on ${b.model.name}: ${limit.length} held-out prompts, DDIM ${steps} steps; calibrated scale ${w}, AG threshold ${cal.ag_threshold ?? "uncalibrated"} (${cal.ag_after_latch ?? "conditional"} after the latch)`,
);
console.log("policy                                  NFE/img  adherence  palette-dist  position-spread  area-spread");
const rows: Array<{ recipe: Recipe; s: Awaited<ReturnType<typeof score>>; d: Awaited<ReturnType<typeof diversity>> }> =
  [];
for (const recipe of chosen) {
  const s = await score(b, recipe, limit);
  const d = await diversity(b, recipe, divPrompt, divSeeds);
  rows.push({ recipe, s, d });
  console.log(
    `${recipe.label.padEnd(40)}${s.nfePerImage.toFixed(1).padStart(7)}${pct(s.adherence).padStart(11)}${s.paletteDistance.toFixed(2).padStart(14)}${d.positionStd.toFixed(2).padStart(17)}${d.areaStd.toFixed(1).padStart(13)}`,
  );
}

const cfgBest = rows.find((x) => x.recipe.label.endsWith("(best)"))?.s;
const ag = rows.find((x) => x.recipe.label === "ag (calibrated)")?.s;
const apg2 = rows.find((x) => x.recipe.label === `apg ${2 * w}`)?.s;
const checks: string[] = [];
if (cfgBest && ag) {
  const ok = ag.adherence >= cfgBest.adherence - 0.01 && ag.nfePerImage <= 0.75 * cfgBest.nfePerImage;
  checks.push(
    `- Calibrated AG: ${pct(ag.adherence)} at ${ag.nfePerImage.toFixed(1)} NFE (${pct(ag.nfePerImage / cfgBest.nfePerImage)} of CFG's) against best CFG ${pct(cfgBest.adherence)}: target (>= best - 1 point at <= 75% NFE) ${ok ? "met" : "NOT met"}.`,
  );
}
if (cfgBest && apg2) {
  const ok = apg2.adherence >= 0.9 * cfgBest.adherence;
  checks.push(
    `- APG at twice the best CFG scale: ${pct(apg2.adherence)} = ${pct(apg2.adherence / Math.max(1e-9, cfgBest.adherence))} of best CFG: target (>= 90%) ${ok ? "met" : "NOT met"}.`,
  );
}
const table = rows
  .map(
    ({ recipe, s, d }) =>
      `| ${recipe.label} | ${s.nfePerImage.toFixed(1)} | ${pct(s.adherence)} | ${pct(s.unseenAdherence)} | ${s.paletteDistance.toFixed(2)} | ${d.positionStd.toFixed(2)} | ${d.areaStd.toFixed(1)} |`,
  )
  .join("\n");
const docs = resolve(import.meta.dirname, "../docs");
writeFileSync(
  resolve(docs, "guidance.md"),
  `# Guidance policies on shapes-32: quality per NFE

Measured by \`npm run bench:guidance\` on ${new Date().toISOString().slice(0, 10)}: ${limit.length} held-out prompts, one fixed seed each,
DDIM ${steps} steps, real ONNX inference on CPU, through the production path (the whole loop in the worker's runtime
thread, as customers' jobs run). Each policy is a preset rule × schedule ([guidance-rules.md](guidance-rules.md)). Calibration (\`npm run calibrate\`, stored in \`models/shapes-32/calibration.json\`):
best CFG scale ${w}, AG threshold ${cal.ag_threshold ?? "none"} on the centred x0 cosine, then ${cal.ag_after_latch === "reuse" ? "the last guidance direction reused" : "the conditional branch alone"} ([why](ag-statistic.md)), CFG++ λ ${cal.cfgpp_scale ?? "uncalibrated"},
APG norm threshold ${cal.apg_norm_threshold ?? "none"}, LinearAG coefficients for ddim:${steps}.

- adherence: all four attributes (background, colour, shape, size) read back right by the attribute checker;
- palette distance: mean RGB distance of each pixel from the nearest palette colour (0 for a clean render; oversaturation and artifacts raise it);
- spread: standard deviation of the shape's centroid (pixels) and area (pixels²) over 16 seeds of "${divPrompt}" (diversity).

| policy | NFE / image | adherence | unseen triples | palette distance | position spread | area spread |
|---|---|---|---|---|---|---|
${table}

${checks.join("\n")}

![adherence against NFE](guidance-chart.png)
`,
);
await adherenceChart(
  rows.map(({ recipe, s }) => ({ label: recipe.label, nfe: s.nfePerImage, adherence: s.adherence })),
  resolve(docs, "guidance-chart.png"),
);
console.log(checks.join("\n"));
console.log("wrote docs/guidance.md and docs/guidance-chart.png");
await b.close();
