// `npm run bench:ag-statistic`: which agreement statistic tells Adaptive Guidance when to stop
// guiding, on the shapes model over the held-out prompts. AG's trajectory is CFG's until it
// latches, so one recording serves every (statistic, threshold):
//  1. full-CFG trajectories: each candidate statistic at every step;
//  2. the same prompts with CFG on the first g steps only, g = 0..steps: the outcome per prompt.
// A rule's latch step comes from (1), its outcome from (2). Thresholds are matched on NFE/image,
// so statistics are compared at equal cost; writes docs/ag-statistic.md.
import { writeFileSync } from "node:fs";
import { resolve } from "node:path";
import { agreement } from "../gpu-worker/src/guidance/ag.ts";
import { fromEps, x0Of } from "../gpu-worker/src/guidance/convert.ts";
import type { GuidancePolicy } from "../gpu-worker/src/guidance/types.ts";
import { cosine } from "../gpu-worker/src/guidance/vector.ts";
import { checkPrompt } from "../gpu-worker/src/models/shapes/checker.ts";
import { generate } from "../gpu-worker/src/pipeline/generate.ts";
import { mapConcurrent, openBench, pct } from "./lib/evaluate.ts";

const steps = 20;
const b = await openBench();
const w = b.model.defaults.scale ?? 2;
const items = process.env.PROMPTS ? b.items.slice(0, Number(process.env.PROMPTS)) : b.items;

const STATISTICS = {
  "cos(ε_c, ε_u)": "the paper's noise predictions [recalled]",
  "cos(x0_c, x0_u)": "ComfyUI's AG node (denoised outputs)",
  "cos(x0_cfg, x0_c)": "guided vs conditional x0 (guidegate before)",
  "centred cos(x0_cfg, x0_c)": "the same with each channel's mean removed (guidegate now)",
} as const;
type Statistic = keyof typeof STATISTICS;
const stats = Object.fromEntries(Object.keys(STATISTICS).map((k) => [k, items.map(() => new Array<number>(steps).fill(1))])) as Record<Statistic, number[][]>;

const run = (i: number, wrap: (p: GuidancePolicy) => GuidancePolicy) =>
  generate(b.model, b.batcher, { prompt: items[i]!.prompt, n: 1, steps, scheduler: "ddim", seed: items[i]!.seed, guidance: { policy: "cfg", scale: w }, wrapPolicy: wrap }, () => {});

console.log(`bench:ag-statistic on ${b.model.name}: ${items.length} held-out prompts, DDIM ${steps}, CFG ${w}`);
await mapConcurrent(items, 32, (_, i) =>
  run(i, (policy) => ({
    name: policy.name,
    branches: (ctx) => policy.branches(ctx),
    combine(ctx, out) {
      const guided = policy.combine(ctx, out);
      const xc = x0Of(out.cond!, ctx);
      stats["cos(ε_c, ε_u)"][i]![ctx.step] = cosine(out.cond!, out.uncond!);
      stats["cos(x0_c, x0_u)"][i]![ctx.step] = cosine(xc, x0Of(out.uncond!, ctx));
      stats["cos(x0_cfg, x0_c)"][i]![ctx.step] = cosine(guided.x0, xc);
      stats["centred cos(x0_cfg, x0_c)"][i]![ctx.step] = agreement(guided.x0, xc, ctx);
      return guided;
    },
  })),
);

// outcome[i][g]: all attributes right with CFG on steps < g and the conditional branch after.
const outcome = items.map(() => new Array<boolean>(steps + 1).fill(false));
const jobs = items.flatMap((_, i) => Array.from({ length: steps + 1 }, (_, g) => ({ i, g })));
await mapConcurrent(jobs, 32, async ({ i, g }) => {
  const res = await run(i, (policy) => ({
    name: policy.name,
    branches: (ctx) => (ctx.step < g ? policy.branches(ctx) : ["cond"]),
    combine: (ctx, out) => (ctx.step < g ? policy.combine(ctx, out) : fromEps(out.cond!, ctx)),
  }));
  outcome[i]![g] = checkPrompt(res.images[0]!, items[i]!, b.vocabulary).all;
});
await b.close();

interface Point {
  threshold: number;
  nfe: number;
  adherence: number;
}
/** AG with `threshold` on `s`: latch at the first step whose statistic reaches it (that step is still guided). */
function evaluate(s: number[][], threshold: number): Point {
  let ok = 0;
  let nfe = 0;
  s.forEach((row, i) => {
    const latch = row.findIndex((v) => v >= threshold);
    const g = latch < 0 ? steps : latch + 1;
    nfe += steps + g;
    if (outcome[i]![g]) ok++;
  });
  return { threshold, nfe: nfe / items.length, adherence: ok / items.length };
}
/** The most adherent threshold spending at most `budget` NFE/image, among the 400 largest observed values within it. */
function atBudget(s: number[][], budget: number): Point | null {
  const candidates = [...new Set(s.flat())].sort((x, y) => x - y);
  let best: Point | null = null;
  // NFE grows with the threshold: binary-search the largest threshold within budget, then scan below it.
  let lo = 0;
  let hi = candidates.length - 1;
  while (lo < hi) {
    const mid = Math.ceil((lo + hi) / 2);
    if (evaluate(s, candidates[mid]!).nfe <= budget) lo = mid;
    else hi = mid - 1;
  }
  for (let k = lo; k >= Math.max(0, lo - 400); k--) {
    const p = evaluate(s, candidates[k]!);
    if (p.nfe <= budget && (!best || p.adherence > best.adherence)) best = p;
  }
  return best;
}

const budgets = [26, 28, 30, 32, 34];
const full = outcome.filter((o) => o[steps]).length / items.length;
const fixed = budgets.map((n) => outcome.filter((o) => o[n - steps]).length / items.length);
// Oracle: per prompt the fewest guided steps after which every longer prefix also succeeds.
let oracleNfe = 0;
let oracleOk = 0;
for (const o of outcome) {
  let g = 0;
  while (g < steps && !o.slice(g).every(Boolean)) g++;
  oracleNfe += steps + (o[steps] ? g : 0);
  if (o[steps] ? o[g] : o[0]) oracleOk++;
}

const gains = Object.fromEntries(Object.keys(STATISTICS).map((k) => [k, [] as number[]])) as Record<Statistic, number[]>;
const header = `| statistic | ${budgets.map((n) => `≤ ${n} NFE`).join(" | ")} |`;
const lines = [
  header,
  `|---|${budgets.map(() => "---").join("|")}|`,
  `| fixed: CFG on the first (NFE − ${steps}) steps | ${fixed.map(pct).join(" | ")} |`,
  ...Object.entries(STATISTICS).map(([name, what]) => {
    const cells = budgets.map((n, k) => {
      const p = atBudget(stats[name as Statistic], n);
      gains[name as Statistic].push(100 * ((p?.adherence ?? 0) - fixed[k]!));
      return p ? `${pct(p.adherence)} (${p.nfe.toFixed(1)}, γ̄ ${p.threshold.toFixed(5)})` : "—";
    });
    return `| ${name}: ${what} | ${cells.join(" | ")} |`;
  }),
];
const medians = (Object.keys(STATISTICS) as Statistic[]).map((name) => {
  const at = (k: number) => [...stats[name].map((r) => r[k]!)].sort((x, y) => x - y);
  const q = (k: number, f: number) => at(k)[Math.floor(f * (items.length - 1))]!;
  return `| ${name} | ${[0, 2, 4, 6, 9, 12, 15, 18].map((k) => `${q(k, 0.1).toFixed(4)} / ${q(k, 0.5).toFixed(4)} / ${q(k, 0.9).toFixed(4)}`).join(" | ")} |`;
});
const range = (xs: number[]) => `${Math.min(...xs).toFixed(1)} to ${Math.max(...xs).toFixed(1)}`;
const centred = gains["centred cos(x0_cfg, x0_c)"];
const at30 = fixed[budgets.indexOf(30)]! + centred[budgets.indexOf(30)]! / 100;
console.log(`full CFG ${pct(full)} at ${2 * steps} NFE; oracle ${pct(oracleOk / items.length)} at ${(oracleNfe / items.length).toFixed(1)}`);
console.log(lines.join("\n"));

const doc = `# Which statistic should Adaptive Guidance watch?

Measured by \`npm run bench:ag-statistic\` on ${new Date().toISOString().slice(0, 10)}: ${b.model.name}, ${items.length} held-out prompts, one
seed each, DDIM ${steps} steps, CFG ${w}, real ONNX inference on CPU.

AG guides with CFG until a similarity statistic between the branches reaches a threshold γ̄, then
runs the conditional branch alone. Until it latches, its trajectory is CFG's, so the bench records
each statistic along full-CFG trajectories once, and the outcome of every prompt with CFG on only the
first g steps (g = 0..${steps}). Any (statistic, γ̄) is then evaluated exactly. For each NFE budget the
table gives the best adherence a threshold reaches within it, with the NFE/image it spends and γ̄.
The thresholds are picked on the same prompts they are scored on (in-sample), which favours every row
alike; \`npm run calibrate\` picks the deployed γ̄ on separate calibration prompts.

Full CFG: ${pct(full)} at ${2 * steps} NFE. Oracle (each prompt truncated at its own best step, known only in
hindsight): ${pct(oracleOk / items.length)} at ${(oracleNfe / items.length).toFixed(1)} NFE: adaptive truncation has room to beat a fixed step.

${lines.join("\n")}

Spread of each statistic over prompts at a few steps (10th percentile / median / 90th percentile):

| statistic | ${[0, 2, 4, 6, 9, 12, 15, 18].map((k) => `step ${k}`).join(" | ")} |
|---|${[0, 2, 4, 6, 9, 12, 15, 18].map(() => "---").join("|")}|
${medians.join("\n")}

Reading it (measured): at equal NFE the uncentred x0 cosines gain ${range([...gains["cos(x0_c, x0_u)"], ...gains["cos(x0_cfg, x0_c)"]])} points over the fixed row,
and the ε cosine ${range(gains["cos(ε_c, ε_u)"])}: it is highest at step 0, where both branches mostly predict the noise itself, and
falls afterwards, so a threshold mostly latches a prompt at once or never. The centred cosine gains
${range(centred)} points over the fixed row (${budgets.map((n, k) => `${centred[k]!.toFixed(1)} at ${n}`).join(", ")}), which is why AG uses it
(\`gpu-worker/src/guidance/ag.ts\`, \`agreement\`). Why (a hypothesis, not measured): most of x0's energy
is the background colour, which both branches agree on within a few steps; removing each channel's
mean leaves the spatial structure, where shape, size and colour are still being decided. Even so it
stays ${(100 * (full - at30)).toFixed(1)} points under full CFG at 30 NFE, while the oracle shows adaptive truncation could
keep CFG's quality at ${(oracleNfe / items.length).toFixed(1)} NFE: none of the statistics tried here finds those steps.
`;
writeFileSync(resolve(import.meta.dirname, "../docs/ag-statistic.md"), doc);
console.log("wrote docs/ag-statistic.md");
