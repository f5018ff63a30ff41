// calibrate's flags, parsed once for its two halves: the parts that need the shapes checker
// (calibrate-shapes.ts) and the label-free frontier that any model gets (frontier-calibration.ts).
import { resolve } from "node:path";
import { parseArgs } from "node:util";
import { evaluatorOf } from "@guidegate/eval";

export const SHAPES_PARTS = ["scale", "linear_ag", "ag", "apg", "cfgpp"] as const;
export const PARTS = [...SHAPES_PARTS, "frontier"] as const;

const { values } = parseArgs({
  options: {
    model: { type: "string", default: "models/shapes-32" },
    // The shapes parts calibrate one scheduler × step count...
    scheduler: { type: "string", default: "ddim" },
    steps: { type: "string", default: "20" },
    prompts: { type: "string", default: "192" },
    // AG's criterion is a 1-point tolerance: 192 prompts resolve only 0.52 points, 512 resolve 0.2.
    "ag-prompts": { type: "string", default: "512" },
    only: { type: "string" },
    scales: { type: "string", default: "1.5,2,2.5,3,3.5,4,5" },
    // ...the frontier a grid of them, for one rule (the tiers allow at least 30 steps: 10 and 20 fit all).
    rule: { type: "string", default: "cfg" },
    schedulers: { type: "string", default: "ddim,euler,euler_a,dpmpp_2m" },
    "step-counts": { type: "string", default: "10,20" },
    schedules: { type: "string" },
    "frontier-prompts": { type: "string", default: "32" },
    "ssim-floor": { type: "string", default: "0.95" },
    "frontier-scale": { type: "string" },
  },
});
const dir = resolve(values.model!);
// Without an evaluator only the label-free part can run; with one, everything by default.
const parts = new Set(values.only?.split(",") ?? (evaluatorOf(dir) ? PARTS : ["frontier"]));
for (const p of parts)
  if (!(PARTS as readonly string[]).includes(p))
    throw new Error(`--only: unknown part ${p}; parts are ${PARTS.join(", ")}`);

export const calibrateArgs = { values, dir, parts };
