// Runs jobs on this worker: a bounded queue in front of `capacity` concurrent generations
// (their NFEs meet in the batcher), events numbered per job, images stored or inlined.
import {
  DEFAULT_STRENGTH,
  type ErrorBody,
  type FrontierEntry,
  type ImageRef,
  type ModelInfo,
  guidanceName,
  isTerminal,
  POLICY_NAMES,
  type WorkerHealth,
  WorkerHealthSchema,
  type WorkerJob,
} from "@guidegate/shared";
import type { WorkerMetrics } from "../metrics.ts";
import type { EditSource } from "../pipeline/edit.ts";
import type { ServedModel } from "../runtime/runtime.ts";
import { decodeKeepMask, decodeSource } from "../storage/decode.ts";
import { CONTENT_TYPE, encodeImage } from "../storage/encode.ts";
import { imageKey } from "../storage/keys.ts";
import type { ImageStore } from "../storage/s3.ts";
import { jobLog } from "../log.ts";
import { Job } from "./job.ts";

export interface RunnerOptions {
  workerId: string;
  capacity: number;
  maxQueue: number;
  /** Finished jobs stay addressable (cancel, replay) for this long. */
  retainMs: number;
  /** Where NFEs, job outcomes and time to first preview are counted; nothing is counted when absent. */
  metrics?: Pick<WorkerMetrics, "nfeRun" | "jobEnded" | "firstPreview">;
}

/** Why submit() took no job: the queue is full, or the worker is draining (it will take none again). */
export type Refusal = "full" | "draining";

export interface LoadedModel {
  model: ServedModel; // its denoising loop and batcher live in the runtime thread
  /** Its measured frontier (frontier.json), advertised in health; absent where never calibrated. */
  frontier?: FrontierEntry[];
}

const BAD_IMAGE: ErrorBody = {
  type: "invalid_request_error",
  code: "invalid_image",
  message: "The image or mask could not be decoded.",
  param: "image",
};

const GENERIC_FAILURE: ErrorBody = {
  type: "server_error",
  code: "generation_failed",
  message: "The generation failed on the worker.",
  param: null,
};

/** What the edge learns of a loaded model from health: its one size, the policies it can run, its frontier. */
export function modelInfo(m: ServedModel, frontier?: FrontierEntry[]): ModelInfo {
  return {
    id: m.name,
    sizes: [`${m.width}x${m.height}`],
    policies: POLICY_NAMES.filter((p) => p !== "pag" || m.supportsPag),
    negative_prompt: true,
    ...(frontier ? { frontier } : {}),
  };
}

/** Health plus counters the pool ignores but operators and tests read. */
export type RunnerHealth = WorkerHealth & { nfe_total: number; spooled: number };

export class JobRunner {
  private jobs = new Map<string, Job>();
  private running = 0;
  private nfeTotal = 0; // every NFE this process evaluated, billed or not
  private waiting: Array<() => void> = [];
  private drainingSince: number | null = null;

  constructor(
    private readonly models: Map<string, LoadedModel>,
    private readonly store: ImageStore,
    private readonly opts: RunnerOptions,
  ) {}

  health(): RunnerHealth {
    const health: WorkerHealth = {
      ok: true,
      ...(this.drainingSince !== null ? { draining: true } : {}),
      worker: this.opts.workerId,
      models: [...this.models.values()].map((m) => modelInfo(m.model, m.frontier)),
      capacity: this.opts.capacity,
      running: this.running,
      queued: this.waiting.length,
      max_queue: this.opts.maxQueue,
    };
    // Validated on the way out as the edge validates it on the way in: a drifted contract fails here.
    return { ...WorkerHealthSchema.parse(health), nfe_total: this.nfeTotal, spooled: this.store.pending?.() ?? 0 };
  }

  get(id: string): Job | undefined {
    return this.jobs.get(id);
  }

  get draining(): boolean {
    return this.drainingSince !== null;
  }

  /** From now on submit() refuses new jobs; those already here run on. */
  startDraining(): void {
    this.drainingSince ??= Date.now();
  }

  /** Jobs that have not sent their terminal event yet (running, queued or uploading their images). */
  unfinished(): Job[] {
    return [...this.jobs.values()].filter((j) => !j.finished);
  }

  /** Starts a job, or says why not (the caller answers 503 either way). */
  submit(spec: WorkerJob): Job | Refusal {
    const existing = this.jobs.get(spec.job_id);
    // A retried dispatch joins a live or completed job instead of running it twice; one that was
    // cancelled (its edge connection was lost) or failed runs afresh: the edge is asking again.
    if (existing && existing.status !== "cancelled" && existing.status !== "failed") return existing;
    if (this.drainingSince !== null) return "draining";
    if (this.running >= this.opts.capacity && this.waiting.length >= this.opts.maxQueue) return "full";
    const job = new Job(spec);
    this.observe(job);
    this.jobs.set(job.id, job);
    void this.run(job).finally(() => {
      const t = setTimeout(() => {
        if (this.jobs.get(job.id) === job) this.jobs.delete(job.id);
      }, this.opts.retainMs);
      t.unref?.();
    });
    return job;
  }

  /** Counts the job's terminal event and its time to first preview, where metrics are kept. */
  private observe(job: Job): void {
    const metrics = this.opts.metrics;
    if (!metrics) return;
    const arrived = performance.now();
    let previewed = false;
    job.subscribe(({ event }) => {
      if (event.event === "preview" && !previewed) {
        previewed = true;
        metrics.firstPreview(performance.now() - arrived);
      } else if (isTerminal(event)) metrics.jobEnded(event.event);
    });
  }

  /** A slot, or false when the job was cancelled while it waited (it leaves the queue at once). */
  private async acquire(job: Job): Promise<boolean> {
    if (this.running < this.opts.capacity) {
      this.running++;
      return true;
    }
    job.emit({ event: "queued", position: this.waiting.length });
    return new Promise<boolean>((resolve) => {
      const take = () => resolve(true);
      this.waiting.push(take);
      job.abort.signal.addEventListener(
        "abort",
        () => {
          const i = this.waiting.indexOf(take);
          if (i < 0) return;
          this.waiting.splice(i, 1);
          resolve(false);
        },
        { once: true },
      );
    });
  }

  private release(): void {
    const next = this.waiting.shift();
    if (next)
      next(); // the slot passes straight to the next job: nothing can take it in between
    else this.running--;
  }

  private async run(job: Job): Promise<void> {
    const s = job.spec;
    let held = await this.acquire(job);
    const free = () => {
      if (held) this.release();
      held = false;
    };
    try {
      const loaded = this.models.get(s.model);
      if (!loaded) throw new Error(`unknown model ${s.model}`);
      if (!held || job.abort.signal.aborted) {
        job.emit({ event: "cancelled", usage: { nfe: 0 } });
        return;
      }
      job.emit({
        event: "started",
        policy: guidanceName(s.guidance),
        steps: s.steps,
        seed: s.seed,
        max_nfe: s.max_nfe,
        n: s.n,
        worker: this.opts.workerId,
      });
      const sources = await editSources(s, loaded.model).catch(() => null);
      if (sources === null) {
        jobLog(s).warn("generation failed: {code}", { code: BAD_IMAGE.code });
        job.emit({ event: "failed", error: BAD_IMAGE, usage: { nfe: 0 } });
        return;
      }
      job.generating = true;
      const result = await loaded.model
        .generate(
          { ...s, sources },
          async (e) => {
            if (e.kind === "step") {
              this.nfeTotal += e.stepNfe;
              this.opts.metrics?.nfeRun(guidanceName(s.guidance), e.stepNfe);
              job.step = e.step;
              job.nfe = e.nfe;
              job.emit({ event: "progress", step: e.step, steps: e.steps, nfe: e.nfe });
            } else {
              const png = await encodeImage(e.rgb, e.width, e.height, "png");
              const b64 = Buffer.from(png).toString("base64");
              job.emit({
                event: "preview",
                step: e.step,
                index: e.index,
                b64_png: b64,
                width: e.width,
                height: e.height,
              });
            }
          },
          job.abort.signal,
          (at) => job.cancelReached(at),
        )
        .finally(() => {
          job.generating = false;
          job.cancelReached({ step: job.step, nfe: job.nfe }); // ended before the cancel reached it
        });
      job.nfe = result.nfe;
      if (result.cancelled) {
        job.emit({ event: "cancelled", usage: { nfe: result.nfe } });
        return;
      }
      // The model is done with this job: uploads are I/O and may wait out a store outage in the spool.
      free();
      const images = await Promise.all(
        result.images.map((rgb, i) => this.output(job, rgb, result.width, result.height, i)),
      );
      job.emit({ event: "completed", images, seed: s.seed, usage: { nfe: result.nfe } });
    } catch (err) {
      jobLog(s).error("generation failed: {error}", { error: String(err) });
      job.emit({ event: "failed", error: GENERIC_FAILURE, usage: { nfe: job.nfe } });
    } finally {
      free();
    }
  }

  private async output(job: Job, rgb: Uint8Array, width: number, height: number, index: number): Promise<ImageRef> {
    const s = job.spec;
    const bytes = await encodeImage(rgb, width, height, s.output_format);
    if (s.response_format === "b64_json") return { b64_json: Buffer.from(bytes).toString("base64"), width, height };
    const key = imageKey(s.tenant, s.job_id, index, s.output_format);
    await this.store.put(key, bytes, CONTENT_TYPE[s.output_format]);
    return { url: await this.store.url(key), key, width, height };
  }
}

/** A job's edit sources at the model's resolution; undefined for text-to-image. Throws on bad images. */
async function editSources(s: WorkerJob, m: ServedModel): Promise<EditSource[] | undefined> {
  if (s.init_images === undefined) return undefined;
  const keep = s.mask === undefined ? undefined : await decodeKeepMask(s.mask, m.width, m.height);
  const strength = s.strength ?? DEFAULT_STRENGTH;
  return Promise.all(
    s.init_images.map(async (b64) => ({
      rgb: await decodeSource(b64, m.width, m.height),
      strength,
      ...(keep ? { keep } : {}),
    })),
  );
}
