// Starts one GPU worker: the runtime thread, the models, the batcher, the internal HTTP API.
import { DEV_INTERNAL_SECRET } from "@guidegate/shared";
import { serve } from "@hono/node-server";
import { resolve } from "node:path";
import { loadWorkerConfig } from "./config.ts";
import { configureLogging, workerLog } from "./log.ts";
import { createWorkerApp } from "./http/app.ts";
import { checkJob } from "./http/check-job.ts";
import { CLOSE_WAIT_MS, drainJobs } from "./jobs/drain.ts";
import { JobRunner, type LoadedModel } from "./jobs/runner.ts";
import { WorkerMetrics, type WorkerLoad } from "./metrics.ts";
import { readFrontier } from "./models/frontier.ts";
import { OnnxRuntime } from "./runtime/runtime.ts";
import { createS3Store } from "./storage/s3.ts";
import { Spool } from "./storage/spool.ts";
import { spoolingStore } from "./storage/spooling-store.ts";

const cfg = loadWorkerConfig();
configureLogging(cfg.GG_LOG_LEVEL);
const log = workerLog.with({ worker: cfg.GG_WORKER_ID });
if (cfg.GG_INTERNAL_SECRET === DEV_INTERNAL_SECRET)
  log.warn("accepting jobs signed with the public development GG_INTERNAL_SECRET (refused when NODE_ENV=production)");
// Registered here on the main thread; its gauges read the runner (below) only when scraped, once serving.
const metrics: WorkerMetrics = new WorkerMetrics((): WorkerLoad => {
  const h = runner.health();
  return {
    running: h.running,
    queued: h.queued,
    capacity: h.capacity,
    draining: h.draining ?? false,
    spooled: h.spooled,
  };
});
const rt = await OnnxRuntime.start(
  { provider: cfg.GG_PROVIDER, deviceId: cfg.GG_DEVICE_ID, intraOpThreads: cfg.GG_INTRA_OP_THREADS },
  (m) => (m.kind === "unet" ? metrics.unetRun(m.rows, m.ortMs) : metrics.step(m.ms)),
);
const models = new Map<string, LoadedModel>();
for (const dir of cfg.GG_MODEL_DIRS.split(",").filter(Boolean)) {
  const model = await rt.serve(resolve(dir), { maxBatch: cfg.GG_MAX_BATCH, windowMs: cfg.GG_BATCH_WINDOW_MS });
  models.set(model.name, { model, frontier: readFrontier(resolve(dir)) });
}
const s3 = createS3Store({
  endpoint: cfg.GG_S3_ENDPOINT,
  region: cfg.GG_S3_REGION,
  bucket: cfg.GG_S3_BUCKET,
  accessKeyId: cfg.GG_S3_ACCESS_KEY_ID,
  secretAccessKey: cfg.GG_S3_SECRET_ACCESS_KEY,
  forcePathStyle: cfg.GG_S3_FORCE_PATH_STYLE === "true",
  urlTtlSeconds: cfg.GG_URL_TTL_SECONDS,
});
// A worker restarted during a store outage still serves: its images wait in the spool.
await s3
  .ensureBucket()
  .catch((err: { name?: string }) => log.warn("object store unreachable at start-up", { error: String(err?.name) }));
const store = spoolingStore(s3, new Spool(resolve(cfg.GG_SPOOL_DIR)), {
  attempts: 2,
  retry: { baseMs: 200, maxMs: 1_000 },
  drain: { baseMs: 250, maxMs: 2_000 },
  log: (msg, fields) => log.warn(msg, fields),
});
await store.resume(); // images a previous run spooled are uploaded, not lost
const runner: JobRunner = new JobRunner(models, store, {
  workerId: cfg.GG_WORKER_ID,
  capacity: cfg.GG_CAPACITY,
  maxQueue: cfg.GG_MAX_QUEUE,
  retainMs: 10 * 60_000,
  metrics,
});
const app = createWorkerApp({
  runner,
  metrics,
  ...(cfg.GG_METRICS_TOKEN ? { metricsToken: cfg.GG_METRICS_TOKEN } : {}),
  internalSecret: cfg.GG_INTERNAL_SECRET,
  healthToken: cfg.GG_HEALTH_TOKEN,
  checkJob: (job) => checkJob(models, job),
});
const server = serve({ fetch: app.fetch, hostname: cfg.GG_WORKER_HOST, port: cfg.GG_WORKER_PORT }, (info) => {
  // One machine-readable line: the launcher and the tests read the port from it (kept apart from the logs).
  console.log(
    JSON.stringify({
      event: "ready",
      service: "gpu-worker",
      worker: cfg.GG_WORKER_ID,
      port: info.port,
      models: [...models.keys()],
    }),
  );
});
/** Stops accepting connections and waits (at most CLOSE_WAIT_MS) for open responses to end. */
const closeServer = () =>
  new Promise<void>((done) => {
    server.close(() => done());
    (server as { closeIdleConnections?: () => void }).closeIdleConnections?.();
    setTimeout(done, CLOSE_WAIT_MS).unref();
  });
let stopping = false;
const stop = async (signal: string) => {
  if (stopping) process.exit(0); // a second signal: stop now
  stopping = true;
  log.info("draining", { signal, running: runner.unfinished().length, grace_ms: cfg.GG_DRAIN_GRACE_MS });
  // Health says draining from here on (the pool routes elsewhere); the server keeps answering for running jobs.
  const report = await drainJobs(runner, store, cfg.GG_DRAIN_GRACE_MS);
  log.info("drained", { ...report });
  await closeServer();
  await rt.close().catch(() => {});
  process.exit(0);
};
process.on("SIGINT", () => void stop("SIGINT"));
process.on("SIGTERM", () => void stop("SIGTERM"));
