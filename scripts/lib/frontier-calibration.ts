// Label-free calibration of any model (issue #16): for one rule, at each scheduler × step count,
// every candidate schedule is run at the same seeds as the rule's full-NFE (schedule `every`)
// output and scored by how close its decoded images stay (SSIM, PSNR), by adherence where the
// manifest names an evaluator, and by NFE per image. The Pareto points become the frontier.
import { type CheckedPrompt, mapConcurrent } from "@guidegate/eval";
import {
  type LinearAgCoefficients,
  OnnxRuntime,
  type ModelGuidanceDefaults,
  type ServedModel,
} from "@guidegate/gpu-worker";
import {
  type FidelityCorrelation,
  type FrontierPoint,
  type FrontierReport,
  type RuleName,
  type RuleParams,
  RuleSchema,
  type ScheduleName,
  type ScheduleParams,
  type SchedulerName,
} from "@guidegate/shared";
import { psnrDb, ssim } from "./fidelity.ts";
import { type BranchTrace, fitLinearAg, traceOf } from "./linear-ag-fit.ts";
import { paretoFrontier, spearman } from "./pareto.ts";
import { scheduleCandidates } from "./schedule-candidates.ts";

export interface FrontierOptions {
  dir: string;
  rule: RuleName;
  /** The rule's CFG scale; LinearAG is fitted under it (the model's calibrated scale by default). */
  scale?: number;
  schedulers: SchedulerName[];
  stepCounts: number[];
  schedules?: readonly ScheduleName[];
  /** Prompts with seeds; `accepts` present on all of them where the model has an evaluator. */
  prompts: Array<Pick<CheckedPrompt, "prompt" | "seed"> & { accepts?: CheckedPrompt["accepts"] }>;
  ssimFloor: number;
  defaults: ModelGuidanceDefaults;
  concurrency?: number;
}

export interface FrontierResult {
  reports: Record<string, FrontierReport>;
  /** Coefficients fitted under the rule's full-NFE run, keyed `${scheduler}:${steps}` (cfg only). */
  linearAg: Record<string, LinearAgCoefficients>;
}

interface Images {
  images: Uint8Array[];
  width: number;
  height: number;
  nfePerImage: number;
  traces: BranchTrace[];
}

const keyOf = (scheduler: string, steps: number) => `${scheduler}:${steps}`;

function ruleOf(o: FrontierOptions): RuleParams {
  const scale = o.scale ?? o.defaults.scale;
  const hasScale = o.rule !== "none" && o.rule !== "pag" && o.rule !== "cfgpp";
  return RuleSchema.parse({ name: o.rule, ...(hasScale && scale !== undefined ? { scale } : {}) });
}

async function generateAll(
  model: ServedModel,
  o: FrontierOptions,
  run: { rule: RuleParams; schedule: ScheduleParams; scheduler: SchedulerName; steps: number; record?: boolean },
): Promise<Images> {
  const outs = await mapConcurrent(o.prompts, o.concurrency ?? 16, (p) =>
    model.generate(
      {
        prompt: p.prompt,
        n: 1,
        steps: run.steps,
        scheduler: run.scheduler,
        seed: p.seed,
        guidance: { rule: run.rule, schedule: run.schedule },
        ...(run.record ? { record: { branches: true } } : {}),
      },
      () => {},
    ),
  );
  return {
    images: outs.map((r) => r.images[0]!),
    width: outs[0]!.width,
    height: outs[0]!.height,
    nfePerImage: outs.reduce((s, r) => s + r.nfe, 0) / outs.length,
    traces: run.record ? outs.map((r) => traceOf(r.recordings?.[0] ?? {})) : [],
  };
}

function pointOf(
  rule: RuleParams,
  schedule: ScheduleParams,
  ref: Images,
  got: Images,
  o: FrontierOptions,
): FrontierPoint {
  const mean = (f: (k: number) => number) => got.images.reduce((s, _, k) => s + f(k), 0) / got.images.length;
  const checks = o.prompts.map((p, k) => p.accepts?.(got.images[k]!));
  const point: FrontierPoint = {
    rule,
    schedule,
    nfe_per_image: got.nfePerImage,
    ssim: mean((k) => ssim(got.images[k]!, ref.images[k]!, ref.width, ref.height)),
    psnr_db: mean((k) => psnrDb(got.images[k]!, ref.images[k]!)),
    prompts: o.prompts.length,
  };
  if (checks.every((c) => c !== undefined)) point.adherence = checks.filter(Boolean).length / checks.length;
  return point;
}

/** The cheapest candidate of each schedule at or above the SSIM floor; on equal NFE the closer one. */
export function cheapestWithinFloor(points: FrontierPoint[], ssimFloor: number): Record<string, FrontierPoint> {
  const out: Record<string, FrontierPoint> = {};
  for (const p of points) {
    const kept = out[p.schedule.name];
    if (p.ssim < ssimFloor) continue;
    if (!kept || p.nfe_per_image < kept.nfe_per_image || (p.nfe_per_image === kept.nfe_per_image && p.ssim > kept.ssim))
      out[p.schedule.name] = p;
  }
  return out;
}

/** The Pareto frontier: fewer NFEs, higher SSIM, higher adherence where measured. */
export function frontierOf(points: FrontierPoint[]): FrontierPoint[] {
  return paretoFrontier(points, [(p) => -p.nfe_per_image, (p) => p.ssim, (p) => p.adherence]).sort(
    (a, b) => a.nfe_per_image - b.nfe_per_image,
  );
}

/**
 * One scheduler × steps entry after a new run: the run's candidates replace the stored ones of the same
 * rule and schedule, the others stay, so several rules (cfg, cfgpp, ...) share one entry and the
 * frontier is taken over all of them. Correlation stays the new run's: fidelity is measured against
 * each rule's own full-NFE output, so ranking it across rules would mix references.
 */
export function mergeEntry(
  previous: FrontierReport | undefined,
  next: FrontierReport,
  ssimFloor: number,
): FrontierReport {
  if (!previous) return next;
  const replaced = (p: FrontierPoint) =>
    next.candidates.some((q) => q.rule.name === p.rule.name && q.schedule.name === p.schedule.name);
  // Points from before `prompts` was recorded were measured on their entry's prompts.
  const kept = previous.candidates.filter((p) => !replaced(p)).map((p) => ({ prompts: previous.prompts, ...p }));
  const candidates = [...kept, ...next.candidates];
  return {
    ...next,
    prompts: Math.max(previous.prompts, next.prompts),
    points: frontierOf(candidates),
    cheapest: cheapestWithinFloor(candidates, ssimFloor),
    candidates,
  };
}

/** How well each fidelity measure ranks the candidates as adherence does; undefined without an evaluator. */
export function fidelityCorrelation(points: FrontierPoint[]): FidelityCorrelation | undefined {
  const rated = points.filter((p) => p.adherence !== undefined);
  if (rated.length < points.length || rated.length < 2) return undefined;
  const adherence = rated.map((p) => p.adherence!);
  return {
    ssim: spearman(
      rated.map((p) => p.ssim),
      adherence,
    ),
    psnr: spearman(
      rated.map((p) => p.psnr_db),
      adherence,
    ),
    candidates: rated.length,
  };
}

async function serve<T>(
  o: FrontierOptions,
  defaults: ModelGuidanceDefaults,
  fn: (m: ServedModel) => Promise<T>,
): Promise<T> {
  const rt = await OnnxRuntime.start({ provider: "cpu", deviceId: 0, intraOpThreads: 0 });
  try {
    return await fn(await rt.serve(o.dir, { maxBatch: 32, windowMs: 1, defaults }));
  } finally {
    await rt.close();
  }
}

/** Full-NFE references per scheduler × steps, and LinearAG fitted on them where the rule is CFG. */
async function references(
  o: FrontierOptions,
  rule: RuleParams,
): Promise<{ refs: Map<string, Images>; linearAg: Record<string, LinearAgCoefficients> }> {
  const fitScale = rule.name === "cfg" ? rule.scale : undefined;
  return serve(o, o.defaults, async (model) => {
    const refs = new Map<string, Images>();
    const linearAg: Record<string, LinearAgCoefficients> = {};
    for (const scheduler of o.schedulers) {
      for (const steps of o.stepCounts) {
        const ref = await generateAll(model, o, {
          rule,
          schedule: { name: "every" },
          scheduler,
          steps,
          record: fitScale !== undefined,
        });
        refs.set(keyOf(scheduler, steps), ref);
        if (fitScale !== undefined) linearAg[keyOf(scheduler, steps)] = fitLinearAg(ref.traces, steps, fitScale);
      }
    }
    return { refs, linearAg };
  });
}

export async function calibrateFrontier(
  o: FrontierOptions,
  log: (line: string) => void = console.log,
): Promise<FrontierResult> {
  const rule = ruleOf(o);
  const { refs, linearAg } = await references(o, rule);
  // A model's stored coefficients win (calibrate's shapes part fitted them on more prompts).
  const defaults = { ...o.defaults, linear_ag: { ...linearAg, ...(o.defaults.linear_ag ?? {}) } };
  const reports = await serve(o, defaults, async (model) => {
    const out: Record<string, FrontierReport> = {};
    for (const scheduler of o.schedulers) {
      for (const steps of o.stepCounts) {
        const ref = refs.get(keyOf(scheduler, steps))!;
        const candidates: FrontierPoint[] = [];
        for (const schedule of scheduleCandidates(steps, o.schedules)) {
          // `every` is the reference itself (generation is deterministic per seed): scoring it again costs nothing.
          const got =
            schedule.name === "every" ? ref : await generateAll(model, o, { rule, schedule, scheduler, steps });
          const p = pointOf(rule, schedule, ref, got, o);
          log(
            `  ${scheduler}:${steps} ${rule.name}/${JSON.stringify(schedule)}: ${p.nfe_per_image.toFixed(1)} NFE/image, SSIM ${p.ssim.toFixed(4)}, PSNR ${p.psnr_db.toFixed(1)} dB${p.adherence === undefined ? "" : `, adherence ${(100 * p.adherence).toFixed(1)}%`}`,
          );
          candidates.push(p);
        }
        const correlation = fidelityCorrelation(candidates);
        out[keyOf(scheduler, steps)] = {
          scheduler,
          steps,
          prompts: o.prompts.length,
          points: frontierOf(candidates),
          cheapest: cheapestWithinFloor(candidates, o.ssimFloor),
          candidates,
          ...(correlation ? { correlation } : {}),
        };
      }
    }
    return out;
  });
  return { reports, linearAg };
}
