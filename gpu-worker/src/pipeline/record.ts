// Per-step values a generation records when its request asks (`record`), for the benches and
// calibration: computed inside the denoising loop, returned with the result as plain numbers and
// arrays, so the loop that measures is the production one, whichever thread runs it.
import { agreement } from "../guidance/schedules/ag_latch.ts";
import { x0Of } from "../guidance/convert.ts";
import type { BranchOutputs, StepContext } from "../guidance/types.ts";
import { cosine } from "../guidance/vector.ts";
import { clipX0 } from "../schedulers/prediction.ts";
import type { Prediction } from "../schedulers/types.ts";

export interface RecordOptions {
  /** Per step, how far the branches and the guided prediction agree (bench:ag-statistic). */
  agreement?: boolean;
  /** Per step, the cond and uncond ε as evaluated (calibrate's LinearAG regression). */
  branches?: boolean;
  /** Per step, ‖D_c − D_u‖: the distance of the cond and uncond x0, clipped like the sampler (calibrate's APG threshold). */
  guidanceNorm?: boolean;
}

/** Cosines of one step's predictions: the candidate statistics for Adaptive Guidance's latch. */
export interface StepAgreement {
  /** cos(ε_c, ε_u), the AG paper's. */
  eps: number;
  /** cos(x0_c, x0_u), ComfyUI's AG node's. */
  x0: number;
  /** cos(x0_guided, x0_c). */
  guided: number;
  /** cos(x0_guided, x0_c) with each channel's mean removed, clipped as the sampler clips: AG's own (guidance/schedules/ag_latch.ts). */
  centred: number;
}

/** One image's recording, indexed by step; null at a step that did not evaluate both cond and uncond. */
export interface Recording {
  agreement?: Array<StepAgreement | null>;
  branches?: Array<{ cond: Float32Array; uncond: Float32Array } | null>;
  guidanceNorm?: Array<number | null>;
}

export class StepRecorder {
  readonly recording: Recording = {};

  constructor(options: RecordOptions, steps: number) {
    const empty = () => new Array(steps).fill(null);
    if (options.agreement) this.recording.agreement = empty();
    if (options.branches) this.recording.branches = empty();
    if (options.guidanceNorm) this.recording.guidanceNorm = empty();
  }

  /** Records one step from its evaluated branches and what the policy made of them. */
  step(ctx: StepContext, out: BranchOutputs, guided: Prediction): void {
    const { cond, uncond } = out;
    if (!cond || !uncond) return;
    const r = this.recording;
    if (r.branches) r.branches[ctx.step] = { cond, uncond };
    if (r.agreement) {
      const xc = x0Of(cond, ctx);
      r.agreement[ctx.step] = {
        eps: cosine(cond, uncond),
        x0: cosine(xc, x0Of(uncond, ctx)),
        guided: cosine(guided.x0, xc),
        centred: agreement(guided.x0, xc, ctx),
      };
    }
    if (r.guidanceNorm) {
      const dc = clipX0(x0Of(cond, ctx), ctx.clip !== undefined, ctx.clip ?? 1);
      const du = clipX0(x0Of(uncond, ctx), ctx.clip !== undefined, ctx.clip ?? 1);
      let sq = 0;
      for (let k = 0; k < dc.length; k++) sq += (dc[k]! - du[k]!) ** 2;
      r.guidanceNorm[ctx.step] = Math.sqrt(sq);
    }
  }

  /** The arrays a result may hand over to another thread instead of copying. */
  static buffers(recordings: Recording[] | undefined): Float32Array[] {
    return (recordings ?? []).flatMap((r) => (r.branches ?? []).flatMap((b) => (b ? [b.cond, b.uncond] : [])));
  }
}
