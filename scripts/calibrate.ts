// `npm run calibrate -- --model <dir> [--only parts] [--rule cfg] [--schedulers ddim,euler]
// [--step-counts 10,20] [--schedules ag_latch,first_k] [--frontier-prompts 32] [--ssim-floor 0.95]`
// Calibrates a model folder in place: the shapes parts (calibrate-shapes.ts: CFG scale, LinearAG,
// AG, APG, CFG++ by adherence) where its manifest names the shapes evaluator, then the label-free
// frontier any Optimum-layout model gets (frontier.json, and LinearAG fits into calibration.json).
import { existsSync, readFileSync, writeFileSync } from "node:fs";
import { basename, join } from "node:path";
import { checkedPrompts } from "@guidegate/eval";
import { readGuidanceDefaults } from "@guidegate/gpu-worker";
import {
  type FrontierFile,
  FrontierFileSchema,
  RuleNameSchema,
  SCHEDULE_NAMES,
  type ScheduleName,
  SchedulerSchema,
} from "@guidegate/shared";
import { calibrateArgs, SHAPES_PARTS } from "./lib/calibrate-args.ts";
import { calibrateFrontier, mergeEntry } from "./lib/frontier-calibration.ts";
import { promptSet } from "./lib/prompt-set.ts";

const { values, dir, parts } = calibrateArgs;
if (SHAPES_PARTS.some((p) => parts.has(p))) await import("./lib/calibrate-shapes.ts");
if (parts.has("frontier")) await frontier();

async function frontier(): Promise<void> {
  const count = Number(values["frontier-prompts"]);
  const opts = {
    dir,
    rule: RuleNameSchema.parse(values.rule),
    ...(values["frontier-scale"] ? { scale: Number(values["frontier-scale"]) } : {}),
    schedulers: values.schedulers!.split(",").map((s) => SchedulerSchema.parse(s)),
    stepCounts: values["step-counts"]!.split(",").map(Number),
    ...(values.schedules ? { schedules: values.schedules.split(",").map(scheduleName) } : {}),
    prompts: checkedPrompts(dir, count) ?? promptSet(dir, count),
    ssimFloor: Number(values["ssim-floor"]),
    defaults: readGuidanceDefaults(dir),
  };
  console.log(
    `frontier of ${dir} for ${opts.rule}: ${opts.schedulers.join(",")} × ${opts.stepCounts.join(",")} steps on ${opts.prompts.length} prompts`,
  );
  const { reports, linearAg } = await calibrateFrontier(opts);
  writeFrontier(reports, opts.ssimFloor);
  writeLinearAg(linearAg);
}

function scheduleName(s: string): ScheduleName {
  const name = SCHEDULE_NAMES.find((n) => n === s);
  if (!name) throw new Error(`--schedules: unknown schedule ${s}; schedules are ${SCHEDULE_NAMES.join(", ")}`);
  return name;
}

/** frontier.json: this run's candidates join their entries (mergeEntry), other scheduler × steps entries stay. */
function writeFrontier(entries: FrontierFile["entries"], ssimFloor: number): void {
  const path = join(dir, "frontier.json");
  const previous = existsSync(path) ? FrontierFileSchema.parse(JSON.parse(readFileSync(path, "utf8"))).entries : {};
  const file = FrontierFileSchema.parse({
    model: basename(dir),
    date: new Date().toISOString().slice(0, 10),
    ssim_floor: ssimFloor,
    entries: {
      ...previous,
      ...Object.fromEntries(Object.entries(entries).map(([k, e]) => [k, mergeEntry(previous[k], e, ssimFloor)])),
    },
  });
  writeFileSync(path, `${JSON.stringify(file, null, 2)}\n`);
  for (const e of Object.values(entries)) {
    const rho = e.correlation
      ? `; Spearman(SSIM, adherence) ${e.correlation.ssim.toFixed(3)}, Spearman(PSNR, adherence) ${e.correlation.psnr.toFixed(3)} over ${e.correlation.candidates} candidates`
      : "";
    console.log(`${e.scheduler}:${e.steps}: ${e.points.length} frontier points of ${e.candidates.length}${rho}`);
  }
  console.log(`wrote ${path}`);
}

/** Adds fitted LinearAG coefficients for scheduler × steps the model has none for; stored fits stay. */
function writeLinearAg(fits: Record<string, unknown>): void {
  const path = join(dir, "calibration.json");
  const raw = (existsSync(path) ? JSON.parse(readFileSync(path, "utf8")) : {}) as Record<string, unknown> & {
    linear_ag?: Record<string, unknown>;
  };
  const added = Object.keys(fits).filter((k) => !raw.linear_ag?.[k]);
  if (added.length === 0) return;
  raw.linear_ag = { ...fits, ...(raw.linear_ag ?? {}) };
  writeFileSync(path, `${JSON.stringify(raw, null, 2)}\n`);
  console.log(`wrote LinearAG coefficients for ${added.join(", ")} into ${path}`);
}
