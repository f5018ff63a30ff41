// The worker's Prometheus metrics (prom-client), one registry per process, created in main.ts and
// handed to the runner, the runtime host and the HTTP app. Nothing here measures: the runtime thread
// sends its UNet and step timings as data (runtime/protocol.ts), the runner reports job events.
import { Counter, collectDefaultMetrics, Gauge, Histogram, Registry } from "prom-client";

/** What the gauges read at scrape time: the runner's live counts. */
export interface WorkerLoad {
  running: number;
  queued: number;
  capacity: number;
  draining: boolean;
  spooled: number;
}

/** Rows per UNet run: powers of two up to the largest GG_MAX_BATCH in use. */
const BATCH_BUCKETS = [1, 2, 4, 8, 16, 32, 64, 128];
const ORT_BUCKETS = [0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5];
const STEP_BUCKETS = [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5];
const PREVIEW_BUCKETS = [0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60];

export class WorkerMetrics {
  readonly registry = new Registry();
  private readonly nfe: Counter<"policy">;
  private readonly jobs: Counter<"outcome">;
  private readonly batchRows: Histogram;
  private readonly ortSeconds: Histogram;
  private readonly stepSeconds: Histogram;
  private readonly firstPreviewSeconds: Histogram;

  constructor(load: () => WorkerLoad, opts: { defaultMetrics?: boolean } = {}) {
    const registers = [this.registry];
    if (opts.defaultMetrics ?? true) collectDefaultMetrics({ register: this.registry });
    this.nfe = new Counter({
      name: "gg_worker_nfe_total",
      help: "UNet function evaluations run, by the job's guidance policy (billed or not).",
      labelNames: ["policy"],
      registers,
    });
    this.jobs = new Counter({
      name: "gg_worker_jobs_total",
      help: "Jobs that ended on this worker, by their terminal event.",
      labelNames: ["outcome"],
      registers,
    });
    this.batchRows = new Histogram({
      name: "gg_worker_unet_batch_rows",
      help: "Rows (NFEs, of every running job) per UNet run.",
      buckets: BATCH_BUCKETS,
      registers,
    });
    this.ortSeconds = new Histogram({
      name: "gg_worker_unet_ort_seconds",
      help: "ONNX Runtime time of one UNet run.",
      buckets: ORT_BUCKETS,
      registers,
    });
    this.stepSeconds = new Histogram({
      name: "gg_worker_step_seconds",
      help: "Wall time of one denoising step of one job, in the runtime thread (batching wait included).",
      buckets: STEP_BUCKETS,
      registers,
    });
    this.firstPreviewSeconds = new Histogram({
      name: "gg_worker_time_to_first_preview_seconds",
      help: "From the job's arrival to its first preview event (queueing included).",
      buckets: PREVIEW_BUCKETS,
      registers,
    });
    const gauge = (name: string, help: string, read: (l: WorkerLoad) => number) =>
      new Gauge({
        name,
        help,
        registers,
        collect() {
          this.set(read(load()));
        },
      });
    gauge("gg_worker_queue_depth", "Jobs waiting for a generation slot.", (l) => l.queued);
    gauge("gg_worker_running_jobs", "Jobs holding a generation slot.", (l) => l.running);
    gauge("gg_worker_capacity", "Generation slots (GG_CAPACITY).", (l) => l.capacity);
    gauge("gg_worker_draining", "1 once the worker is draining (SIGTERM): it takes no new jobs.", (l) =>
      l.draining ? 1 : 0,
    );
    gauge(
      "gg_worker_spooled_images",
      "Finished images waiting in the local spool for the object store.",
      (l) => l.spooled,
    );
  }

  nfeRun(policy: string, nfe: number): void {
    this.nfe.inc({ policy }, nfe);
  }
  jobEnded(outcome: string): void {
    this.jobs.inc({ outcome });
  }
  unetRun(rows: number, ortMs: number): void {
    this.batchRows.observe(rows);
    this.ortSeconds.observe(ortMs / 1000);
  }
  step(ms: number): void {
    this.stepSeconds.observe(ms / 1000);
  }
  firstPreview(ms: number): void {
    this.firstPreviewSeconds.observe(ms / 1000);
  }

  /** The exposition text and its content type, for GET /metrics. */
  async render(): Promise<{ contentType: string; body: string }> {
    return { contentType: this.registry.contentType, body: await this.registry.metrics() };
  }
}
