// The worker's internal API: start a job and stream its events, cancel, health.
import { CancelAckSchema, isTerminal, type WorkerJob, WorkerJobSchema } from "@guidegate/shared";
import { type Context, Hono } from "hono";
import { streamSSE } from "hono/streaming";
import type { JobRunner } from "../jobs/runner.ts";
import type { SequencedEvent } from "../jobs/job.ts";
import type { WorkerMetrics } from "../metrics.ts";
import { healthAuth, internalAuth, metricsAuth } from "./auth.ts";
import { jobLog, workerLog } from "../log.ts";
import { errorResponse } from "./errors.ts";
import { jobStatus, waitForEnd } from "./job-status.ts";

/** SSE comment interval: an idle stream (a job queued, or waiting out a store outage) must look alive. */
const KEEP_ALIVE_MS = 10_000;
/** The most a status request may wait for a job to end. */
const MAX_WAIT_MS = 10_000;

export interface WorkerAppOptions {
  runner: JobRunner;
  internalSecret: string;
  /** A static bearer also accepted on GET /internal/health (GG_HEALTH_TOKEN, for monitoring that cannot sign a JWT). */
  healthToken?: string;
  /** The worker's metrics, served on GET /metrics to bearers of `metricsToken`; no route without both. */
  metrics?: Pick<WorkerMetrics, "render">;
  metricsToken?: string;
  /** Validates a job against what the loaded models can do; returns an error message or null. */
  checkJob: (job: WorkerJob) => { message: string; param: string } | null;
}

export function createWorkerApp(opts: WorkerAppOptions): Hono {
  const { runner } = opts;
  const app = new Hono();
  const auth = internalAuth(opts.internalSecret);

  // Liveness for probes, revealing nothing; load, models and the worker's id only to the edge (and GG_HEALTH_TOKEN).
  app.get("/healthz", (c) => c.json({ ok: true }));
  app.get("/internal/health", healthAuth(opts.internalSecret, opts.healthToken), (c) => c.json(runner.health()));

  const { metrics, metricsToken } = opts;
  if (metrics && metricsToken)
    app.get("/metrics", metricsAuth(metricsToken), async (c) => {
      const { contentType, body } = await metrics.render();
      return c.body(body, 200, { "content-type": contentType });
    });

  app.post("/internal/jobs", auth, async (c) => {
    let body: unknown;
    try {
      body = await c.req.json();
    } catch {
      return errorResponse(c, 400, "invalid_request_error", "invalid_json", "The body is not valid JSON.");
    }
    const parsed = WorkerJobSchema.safeParse(body);
    if (!parsed.success) {
      const issue = parsed.error.issues[0]!;
      return errorResponse(c, 400, "invalid_request_error", "invalid_job", issue.message, issue.path.join("."));
    }
    const spec = parsed.data;
    if (c.get("internalJobId" as never) !== spec.job_id) {
      return errorResponse(
        c,
        401,
        "authentication_error",
        "token_job_mismatch",
        "The token was issued for another job.",
      );
    }
    const problem = opts.checkJob(spec);
    if (problem)
      return errorResponse(c, 400, "invalid_request_error", "unsupported_job", problem.message, problem.param);
    const after = Number(c.req.header("last-event-id") ?? 0) || 0;
    // With Last-Event-ID the edge is re-attaching to a job it dispatched: join it whatever its state, never
    // start it afresh (that would run and bill it twice); a draining worker still lets it re-attach. Without,
    // a retried dispatch joins a live job.
    const job = after > 0 ? runner.get(spec.job_id) : runner.submit(spec);
    jobLog(spec).info("job {job_id} {outcome}", {
      outcome: typeof job === "object" ? (after > 0 ? "re-attached" : "accepted") : String(job ?? "unknown"),
    });
    if (!job) return errorResponse(c, 404, "not_found_error", "job_not_found", "No such job on this worker.");
    if (job === "full" || job === "draining") {
      // Either way the pool tries another worker; a draining one is also left out until its health changes.
      c.header("Retry-After", "2");
      return job === "full"
        ? errorResponse(c, 503, "overloaded_error", "worker_full", "This worker's queue is full.")
        : errorResponse(c, 503, "overloaded_error", "worker_draining", "This worker is shutting down.");
    }
    return streamSSE(c, async (stream) => {
      const detach = job.attach();
      let wake: (() => void) | null = null;
      const queue: SequencedEvent[] = [];
      const unsubscribe = job.subscribe((e) => {
        queue.push(e);
        wake?.();
      }, after);
      // The stream is the job's lease: the edge closing it (client gone, edge gone) means nobody will
      // pay for more steps, so the job stops at the next step (or once detach_grace_ms passes with no
      // stream re-attached) and its log keeps the exact NFEs spent.
      stream.onAbort(() => {
        detach();
        wake?.();
      });
      const keepAlive = setInterval(() => {
        if (!stream.aborted) void stream.write(": keep-alive\n\n").catch(() => {});
      }, KEEP_ALIVE_MS);
      try {
        while (!stream.aborted) {
          const e = queue.shift();
          if (!e) {
            await new Promise<void>((r) => {
              wake = r;
            });
            wake = null;
            continue;
          }
          await stream.writeSSE({ id: String(e.seq), event: e.event.event, data: JSON.stringify(e.event) });
          if (isTerminal(e.event)) break;
        }
      } finally {
        clearInterval(keepAlive);
        unsubscribe();
        detach();
      }
    });
  });

  // A token names one job: it cannot read or cancel another.
  const ownJob = (c: Context) => {
    const id = c.req.param("id");
    if (c.get("internalJobId" as never) !== id)
      return {
        error: errorResponse(
          c,
          401,
          "authentication_error",
          "token_job_mismatch",
          "The token was issued for another job.",
        ),
      };
    const job = runner.get(id ?? "");
    if (!job)
      return { error: errorResponse(c, 404, "not_found_error", "job_not_found", "No such job on this worker.") };
    return { job };
  };

  app.post("/internal/jobs/:id/cancel", auth, async (c) => {
    const { job, error } = ownJob(c);
    if (!job) return error;
    // Where the generation stood when told: it ends within one more step.
    const at = await job.cancel();
    return c.json(CancelAckSchema.parse({ id: job.id, cancelled: true, step: at.step, nfe: at.nfe }), 202);
  });

  // The job's state and, once it ended, its terminal event: the edge settles from it when the stream is gone.
  app.get("/internal/jobs/:id", auth, async (c) => {
    const { job, error } = ownJob(c);
    if (!job) return error;
    const waitMs = Math.min(MAX_WAIT_MS, Math.max(0, Number(c.req.query("wait_ms")) || 0));
    if (waitMs > 0) await waitForEnd(job, waitMs);
    return c.json(jobStatus(job));
  });

  app.notFound((c) => errorResponse(c, 404, "not_found_error", "not_found", "No such route."));
  app.onError((err, c) => {
    workerLog.error("unhandled error {error}", { error: String(err), path: c.req.path });
    return errorResponse(c, 500, "server_error", "internal", "Internal error.");
  });
  return app;
}
