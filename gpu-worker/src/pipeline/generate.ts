// One generation: encode prompts, then step every image of the job together, asking each
// image's policy which branches it needs, evaluating all of them in one batcher submission,
// combining, stepping the scheduler; previews from x0; final decode. No ORT calls here.
import { type GuidanceInput, needsPerturbed, nfeFloor, runSteps, type SchedulerName } from "@guidegate/shared";
import { createPolicy } from "../guidance/index.ts";
import { withNfeCap } from "../guidance/capped.ts";
import type { Branch, BranchOutputs, GuidancePolicy, StepContext } from "../guidance/types.ts";
import type { DiffusionModel } from "../models/diffusion-model.ts";
import type { UnetRow } from "../models/unet-feeds.ts";
import type { UnetBatcher } from "./batcher.ts";
import { createScheduler, gaussianNoise } from "../schedulers/index.ts";
import { toEpsAndX0 } from "../schedulers/prediction.ts";
import type { Prediction, Scheduler } from "../schedulers/types.ts";
import { type EditSource, keepKnown, overlayKept, type PreparedSource, prepareSources, sourceAt } from "./edit.ts";
import { type RecordOptions, type Recording, StepRecorder } from "./record.ts";
import { type Truncation, truncated } from "./truncate.ts";

export interface GenerateParams {
  prompt: string;
  negative_prompt?: string;
  n: number;
  steps: number;
  scheduler?: SchedulerName;
  seed: number;
  guidance: GuidanceInput;
  max_nfe?: number; // whole request
  preview_every?: number;
  /** Per-step values to return with the result (benches and calibration; record.ts). */
  record?: RecordOptions;
  /** Guidance for the first steps only (bench:ag-statistic; truncate.ts). */
  truncate?: Truncation;
  /**
   * Edit these images (SDEdit by strength, inpainting by a keep mask) instead of starting from
   * noise: image k edits sources[floor(k · count / n)]; one strength for all.
   */
  sources?: EditSource[];
}

/** Progress of one generation, a tagged union like transformers.js' progress events. */
export type GenerateEvent =
  | { kind: "step"; step: number; steps: number; nfe: number; stepNfe: number }
  | { kind: "preview"; step: number; index: number; rgb: Uint8Array; width: number; height: number };

export interface GenerateResult {
  images: Uint8Array[]; // RGB [H, W, 3]
  width: number;
  height: number;
  nfe: number; // NFEs actually evaluated, all images
  cancelled: boolean;
  steps: number; // steps completed (of an edit, of those it runs)
  /** One per image, when the request asked to `record`. */
  recordings?: Recording[];
}

interface Trajectory {
  x: Float32Array;
  scheduler: Scheduler;
  policy: GuidancePolicy;
  noise: (length: number) => Float32Array;
  /** The image's starting noise, which also noises an edit's known region at every step. */
  eps: Float32Array;
  /** What an edit starts from and keeps, in the sample space; null for text-to-image. */
  source: PreparedSource | null;
  /** An inpainting UNet's extra input channels (its text-to-image ones without a source). */
  condition: Float32Array | undefined;
  last: Prediction | null;
  recorder: StepRecorder | null;
}

export async function generate(
  model: DiffusionModel,
  batcher: UnetBatcher,
  p: GenerateParams,
  onEvent: (e: GenerateEvent) => void | Promise<void>,
  signal?: AbortSignal,
): Promise<GenerateResult> {
  const schedulerName = p.scheduler ?? "ddim";
  if (needsPerturbed(p.guidance) && !model.supportsPag) throw new Error(`model ${model.name} cannot do pag`);
  const { cond, uncond } = await model.encodeConditioning(p.prompt, p.negative_prompt);
  const budgetPerImage = p.max_nfe !== undefined ? Math.floor(p.max_nfe / p.n) : undefined;

  // An edit runs the last `run` steps of the schedule; policies and schedules see only those.
  const run = runSteps(p.steps, p.sources?.[0]?.strength);
  const start = p.steps - run;
  // Strength 0 runs no step: its policy is never asked, but policies need a schedule of one.
  const policySteps = Math.max(1, run);
  const sources = p.sources ? await prepareSources(model, p.sources) : undefined;
  const blank = model.inpaintLayout && !sources ? await model.inpaintCondition(null, undefined) : undefined;
  // Image k uses seed + k, so image k of a batch equals a single-image run with that seed.
  const trajectories: Trajectory[] = Array.from({ length: p.n }, (_, k) => {
    const scheduler = createScheduler(schedulerName, model.schedulerConfig, p.steps);
    const noise = gaussianNoise((p.seed + k) >>> 0);
    const base = createPolicy(p.guidance, model.defaults, policySteps, schedulerName);
    const floor = nfeFloor(p.guidance, policySteps);
    const capped = budgetPerImage !== undefined ? withNfeCap(base, budgetPerImage, policySteps, floor) : base;
    const policy = p.truncate ? truncated(capped, p.truncate) : capped;
    const recorder = p.record ? new StepRecorder(p.record, policySteps) : null;
    const eps = noise(model.sampleSize);
    const source = sources?.[Math.floor((k * sources.length) / p.n)] ?? null;
    // The whole schedule starts from noise, as text-to-image does: strength 1 is text-to-image.
    const x = source && start > 0 ? sourceAt(scheduler, source.x0, eps, start) : scheduler.initNoise(eps);
    const condition = source?.condition ?? blank;
    return { x, scheduler, policy, noise, eps, source, condition, last: null, recorder };
  });

  const sc = model.schedulerConfig;
  const clip = sc.clip_sample ? sc.clip_sample_range : undefined;
  let nfe = 0;
  let done = 0;
  batcher.enter();
  try {
    for (let i = start; i < p.steps; i++) {
      if (signal?.aborted) break; // cancellation lands on a step boundary
      const rows: UnetRow[] = [];
      const asked: Array<{ ctx: StepContext; branches: Branch[] }> = [];
      for (const tr of trajectories) {
        const pt = tr.scheduler.point(i);
        const x = tr.scheduler.modelInput(tr.x, i);
        const ctx: StepContext = {
          step: i - start,
          steps: run,
          ...pt,
          x,
          sampler: schedulerName,
          clip,
          channels: model.sampleShape[0],
        };
        const branches = tr.policy.branches(ctx);
        asked.push({ ctx, branches });
        for (const b of branches) {
          const e = b === "uncond" ? uncond : cond;
          rows.push({
            sample: x,
            timestep: pt.timestep,
            context: e.context,
            pooled: e.pooled,
            perturb: b === "perturbed",
            ...(tr.condition ? { condition: tr.condition } : {}),
          });
        }
      }
      const outputs = await batcher.submit(rows);
      nfe += rows.length;
      let at = 0;
      trajectories.forEach((tr, k) => {
        const { ctx, branches } = asked[k]!;
        const out: BranchOutputs = {};
        for (const b of branches)
          out[b] = toEpsAndX0(outputs[at++]!, ctx.x, ctx.alpha, ctx.sigma, model.schedulerConfig.prediction_type).eps;
        tr.last = tr.policy.combine(ctx, out);
        tr.recorder?.step(ctx, out, tr.last);
        tr.x = tr.scheduler.step(tr.x, tr.last, i, tr.noise);
        const src = tr.source;
        if (src?.keepSample) tr.x = keepKnown(tr.x, sourceAt(tr.scheduler, src.x0, tr.eps, i + 1), src.keepSample);
      });
      done = i + 1 - start;
      await onEvent({ kind: "step", step: done, steps: run, nfe, stepNfe: rows.length });
      if (p.preview_every && done % p.preview_every === 0 && done < run) {
        for (const [index, tr] of trajectories.entries()) {
          const pv = model.preview(tr.last!.x0);
          await onEvent({ kind: "preview", step: done, index, rgb: pv.rgb, width: pv.width, height: pv.height });
        }
      }
    }
  } finally {
    batcher.exit();
  }
  const cancelled = done < run;
  const decoded = async (tr: Trajectory) => {
    const rgb = await model.decode(tr.x);
    return tr.source ? overlayKept(rgb, tr.source) : rgb;
  };
  const images = cancelled ? [] : await Promise.all(trajectories.map(decoded));
  const recorded = p.record ? { recordings: trajectories.map((tr) => tr.recorder!.recording) } : {};
  return { images, width: model.width, height: model.height, nfe, cancelled, steps: done, ...recorded };
}
